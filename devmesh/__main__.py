from devmesh.mesh import main

main()
