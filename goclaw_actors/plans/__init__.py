"""Multi-agent plans (SPEC §7.4): definitions from config.yaml."""
