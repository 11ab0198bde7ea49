"""An example service that trusts authsite's access tokens (issue 18)."""
