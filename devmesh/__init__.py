"""The local mesh runner (`voketag-mesh`, `make up`): development and integration-test tooling, kept out of
the runtime package the services ship with."""
