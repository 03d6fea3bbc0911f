"""The region's registers: municipalities and organisations."""
