"""Sample data for `sixplustwo demo` (see README.md here)."""
