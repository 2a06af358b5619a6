"""Offline checks over a render: what AWS and a real cluster would refuse, and the mocks accept."""
