"""How `npa-reports rebuild --processes N` shares the partitions out: by their records, so the
replay does not wait for one process that drew the large partitions (replay_processes.py)."""

import random

from aiokafka import TopicPartition

from services.reports.replay_processes import balanced_shares


def tp(topic: str, partition: int) -> TopicPartition:
    return TopicPartition(topic, partition)


def test_topics_of_different_sizes_are_shared_out_evenly() -> None:
    sizes = ({tp("npa.actors.v1", n): 300 for n in range(4)} | {tp("npa.examples.v1", n): 200 for n in range(4)}
             | {tp("npa.notifications.v1", n): 6_000 for n in range(4)}
             | {tp("npa.offers.v1", n): 10_000 for n in range(4)})
    shares = balanced_shares(sizes, 3)
    assert [sum(sizes[p] for p in share) for share in shares] == [22_000, 22_000, 22_000]
    # every third partition of the sorted list, as before: one process held 26,800 records
    every_third = [sorted(sizes)[index::3] for index in range(3)]
    assert max(sum(sizes[p] for p in share) for share in every_third) == 26_800


def test_skewed_partitions_of_one_topic() -> None:
    sizes = {tp("npa.offers.v1", 0): 9_000, tp("npa.offers.v1", 1): 1_000, tp("npa.offers.v1", 2): 4_000,
             tp("npa.offers.v1", 3): 4_000}
    assert balanced_shares(sizes, 2) == [[tp("npa.offers.v1", 0)],
                                         [tp("npa.offers.v1", 1), tp("npa.offers.v1", 2), tp("npa.offers.v1", 3)]]


def test_empty_partitions_are_spread_too_and_more_processes_than_partitions_leave_shares_empty() -> None:
    empty = {tp("npa.examples.v1", n): 0 for n in range(4)}
    assert [len(share) for share in balanced_shares(empty, 2)] == [2, 2]
    assert balanced_shares({tp("npa.offers.v1", 0): 5}, 3) == [[tp("npa.offers.v1", 0)], [], []]
    assert balanced_shares({}, 2) == [[], []]


def test_shares_are_disjoint_cover_every_partition_and_are_within_one_partition_of_even() -> None:
    rng = random.Random(20261203)
    for _ in range(300):
        sizes = {tp(f"topic-{t}", n): rng.choice([0, rng.randint(1, 100), rng.randint(1, 100_000)])
                 for t in range(rng.randint(1, 5)) for n in range(rng.randint(1, 12))}
        count = rng.randint(1, 6)
        shares = balanced_shares(sizes, count)
        assert len(shares) == count
        every = [p for share in shares for p in share]
        assert sorted(every) == sorted(sizes), "each partition in exactly one share"
        loads = [sum(sizes[p] for p in share) for share in shares]
        # the greedy split's bound: no share exceeds the even share by more than one partition
        assert max(loads) <= sum(sizes.values()) / count + max(sizes.values())
        assert shares == balanced_shares(dict(reversed(list(sizes.items()))), count), "the same sizes, the same shares"
