"""Cross-field rules: what a stack must satisfy before any resource is registered, each naming its key and fix."""
