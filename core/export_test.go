package core

// Typists is how many actors and requests e's typing limit remembers now.
func Typists(e *Engine) int { return e.typists.remembered() }
