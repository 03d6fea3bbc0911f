"""medvirkning: stakeholder involvement and consultation for the common ERP project."""
