// Swagger UI over the generated description; a file of its own because the page's CSP allows no inline script.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
