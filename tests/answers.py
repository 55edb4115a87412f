"""Candidate answers several test modules use, as a person would say them."""

OUTBOX_ANSWER = ("um so basically you, like, write the order and the event in one local transaction into an "
                 "outbox table, then a relay process polls the outbox and publishes the events to Kafka")

# A pub/sub design answer (probe 001-probe-59) and the answer to its follow-up on persistence levels.
PUB_SUB_ANSWER = ("so basically I'd put a message broker like Kafka in the middle. Payment events go to persistent, "
                  "replicated topics, and consumers only ack after processing, so if a subscriber fails the broker "
                  "redelivers, and the handlers are idempotent.")
PERSISTENCE = ("it's how durable a message is: kept in memory only, written to disk, or replicated to several "
               "brokers before the producer gets its ack")
