package dev.berth.audit;

public enum Outcome {
    OK, DENIED, FAILED
}
