"""The API's routes, one module per area; each calls the library as the CLI does."""
