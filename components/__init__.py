"""The Pulumi components: one `ComponentResource` each with its typed args, and the helpers that register resources."""
