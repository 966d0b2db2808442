"""Pure domain: the playbook, date arithmetic and action evaluation. No I/O, no clock."""
