"""What the actors service does: changes to the registry and reads of its directory."""
