"""People, groups and memberships, and the import of people from HR's CSV files."""
