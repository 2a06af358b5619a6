"""The Pulumi policy pack: what every stack guarantees, checked on the resources a preview would create."""
