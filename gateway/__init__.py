"""Envoy gateway configuration for VokeTag (template, renderer, descriptor set)."""
