"""Targets, alerts and their delivery: config/targets.yaml -> marts.alerts -> e-mail and webhooks."""
