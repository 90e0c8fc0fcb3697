"""Try it offline: an embedded AWS emulator, the program applied to it, synthetic recordings, the demo.

This is an emulation for trying and testing the toolkit. Production deployments use ``pulumi up``.
"""
