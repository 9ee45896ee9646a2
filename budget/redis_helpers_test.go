package budget

// Abandon closes the store as a process that dies would leave it: the
// heartbeat stops, but its holds stay in the ledger and its lease runs
// out by itself. The Redis client is closed if the store owns it.
func (s *RedisStore) Abandon() error { return s.shutdown(false) }
