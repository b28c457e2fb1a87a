package main

import (
	"context"
	"errors"

	"github.com/mlsysim/mlsysim-go/dse"
)

// Exit codes, defined once.
const (
	exitOK          = 0
	exitFailure     = 1   // internal or I/O failure
	exitBadInput    = 2   // the input makes no sense
	exitCheckFailed = 3   // a constraint or SLA check failed when asked to fail
	exitInterrupted = 130 // SIGINT or SIGTERM
)

// inputError marks an error caused by the user's input (exit 2).
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

func badInput(err error) error {
	if err == nil {
		return nil
	}
	return inputError{err}
}

// checkError marks a failed check the user asked to fail on (exit 3).
type checkError struct{ err error }

func (e checkError) Error() string { return e.err.Error() }
func (e checkError) Unwrap() error { return e.err }

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var in inputError
	var din *dse.InputError
	var ck checkError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &in), errors.As(err, &din):
		return exitBadInput
	case errors.As(err, &ck):
		return exitCheckFailed
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailure
}
