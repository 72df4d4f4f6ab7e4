"""The relay: members sign, the relay pays gas; it can neither forge an action nor trap one."""
