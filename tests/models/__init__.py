"""Small themed model modules used by the tests."""
