package redisstore

// Abandon stops the store as a process that dies would: the heartbeat
// stops, nothing is written or given back, and the client is closed if
// the store owns it. Its lease then runs out by itself.
func (b *Budget) Abandon() {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		b.stop()
		<-b.beatDone
		if b.owns {
			_ = b.client.Close()
		}
	})
}
