"""Remediation (runbook Section 4): plans of verified, audited steps (runbook.py) and the runner
that executes them (plan.py)."""
