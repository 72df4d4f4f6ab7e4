"""What the relay serves besides carrying actions: its view of the DAO (state), the event feed, the
verifier that compares both with the contracts, and reminders (the notifier, its webhooks, its
store, the Atom feed)."""
