"""Android phones over adb: connection, parsers of device output, inventory, actions."""
