"""The executive report: report data (one query module), charts, texts, HTML and PDF."""
