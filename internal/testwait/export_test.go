package testwait

// UntilWithin is Until with a deadline of the test's choosing.
var UntilWithin = until
