"""One module per top-level command group of the CLI; each exposes ``register(main)``."""
