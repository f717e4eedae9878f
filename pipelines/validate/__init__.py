"""The validation gate: Great Expectations suites per entity plus cross-table SQL checks."""
