"""The mandate's plan: phases, milestones and the critical success factors (risk factors)."""
