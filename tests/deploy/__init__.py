"""Tests that try to get into the production deployment."""
