package telegramtest

// FailChat makes the next messages sent to chat fail, one failure per
// call (sendMessage, sendPhoto... and edits: the methods flood control
// counts), whatever their method; calls to other chats are not touched.
// A failure asked for by Fail for the method goes first. Like Fail's, these
// are not counted by Throttled.
func (s *Server) FailChat(chat int64, fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chatFails == nil {
		s.chatFails = map[int64][]Failure{}
	}
	s.chatFails[chat] = append(s.chatFails[chat], fs...)
}
