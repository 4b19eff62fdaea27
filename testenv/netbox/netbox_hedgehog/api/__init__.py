"""The plugin's REST API at /api/plugins/hedgehog/ (main:netbox_hedgehog/api/)."""
