"""Local fan-out: a slow subscriber is cut off and told; the others miss nothing."""

from __future__ import annotations

import asyncio

from subscriptions.fanout import QUEUE_SIZE, Fanout, SubscriberOverflow


def test_a_slow_subscriber_is_cut_off_and_the_others_get_every_event() -> None:
    async def scenario() -> tuple[list[int], BaseException | None, int, int]:
        fanout = Fanout()
        slow = fanout.subscribe("t")
        fast = fanout.subscribe("t")
        slow_first = asyncio.ensure_future(slow.__anext__())  # subscribed, then never reads
        got: list[int] = []

        async def read_fast() -> None:
            async for event in fast:
                got.append(event["n"])
                if len(got) == QUEUE_SIZE + 10:
                    return

        reader = asyncio.create_task(read_fast())
        await asyncio.sleep(0)
        for n in range(QUEUE_SIZE + 10):
            fanout.deliver("t", {"n": n})
            if n % 100 == 0:
                await asyncio.sleep(0)  # the fast reader keeps up; the slow one never reads
        await asyncio.wait_for(reader, 5)
        await slow_first  # the first event was in hand before it stalled
        error: BaseException | None = None
        try:
            await slow.__anext__()
        except SubscriberOverflow as overflow:
            error = overflow
        return got, error, fanout.cut_off, fanout.subscriber_count

    got, error, cut_off, remaining = asyncio.run(scenario())
    assert got == list(range(QUEUE_SIZE + 10))
    assert isinstance(error, SubscriberOverflow)
    assert cut_off == 1
    assert remaining == 1  # the fast one


def test_dropping_an_owner_stops_only_its_streams() -> None:
    async def scenario() -> tuple[int, int]:
        fanout = Fanout()
        mine = fanout.subscribe("t", owner=7)
        theirs = fanout.subscribe("t", owner=8)
        first = [asyncio.ensure_future(s.__anext__()) for s in (mine, theirs)]
        await asyncio.sleep(0)
        dropped = fanout.drop_owner(7)
        fanout.deliver("t", {"n": 1})
        await asyncio.sleep(0)
        assert first[1].done()
        assert not first[0].done()  # never delivered to again; cancelled with its connection
        first[0].cancel()
        return dropped, fanout.subscriber_count

    assert asyncio.run(scenario()) == (1, 1)


def test_listeners_see_events_synchronously_and_a_failing_one_does_not_stop_delivery() -> None:
    topic = "tokens.revoked"
    fanout = Fanout()
    seen: list[int] = []

    def broken(_: dict[str, int]) -> None:
        raise RuntimeError("listener bug")

    fanout.listen(topic, broken)
    fanout.listen(topic, lambda event: seen.append(event["n"]))
    fanout.deliver(topic, {"n": 3})
    assert seen == [3]


def test_a_routed_topic_wakes_only_the_subscribers_of_the_events_key() -> None:
    async def scenario() -> dict[str, list[int]]:
        fanout = Fanout({"availability": lambda event: event["channel"]})
        streams = {
            "web": fanout.subscribe("availability", key="web"),
            "app": fanout.subscribe("availability", key="app"),
            "all": fanout.subscribe("availability"),
        }
        got: dict[str, list[int]] = {name: [] for name in streams}
        pending = {name: asyncio.ensure_future(s.__anext__()) for name, s in streams.items()}
        await asyncio.sleep(0)
        for n, channel in enumerate(["web", "app", "web"]):
            fanout.deliver("availability", {"channel": channel, "n": n})
        fanout.deliver("availability", {"n": 9})  # no key: only topic-wide subscribers
        await asyncio.sleep(0)
        for name, stream in streams.items():
            first = await pending[name]
            got[name].append(first["n"])
            while True:
                try:
                    event = await asyncio.wait_for(stream.__anext__(), 0.05)
                except TimeoutError:
                    break
                got[name].append(event["n"])
        return got

    assert asyncio.run(scenario()) == {"web": [0, 2], "app": [1], "all": [0, 1, 2, 9]}
