"""`notify`'s sending, shared by its commands: the messages' outbox rows written, each sent
once (claimed before its request, settled after its answer), the batch audited."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sixplustwo.cli.context import command_line, db_option
from sixplustwo.cli.messages import N_

if TYPE_CHECKING:
    from sixplustwo.io.channels import Result
    from sixplustwo.io.channels.config import Channels
    from sixplustwo.store.outbox import Message


# Requests to the SMS gateway at once: at ~50 ms a request over the internet, one at a time
# would never reach a provider's limit of a hundred or more a second.
SMS_PARALLEL = 8


def host_name() -> str:
    import socket

    return socket.gethostname()


class Outcome:
    def __init__(self) -> None:
        self.sent = self.failed = self.unknown = self.left = self.skipped = 0
        self.sent_actions: list[str] = []
        self.by_channel: dict[str, list[int]] = {}


def send_messages(ctx, config: Channels, messages: Sequence[Message], timeout: float, command: str):
    """Write the messages' rows, then send those the outbox says may go; audit the batch."""
    from sixplustwo.io.channels import http_client
    from sixplustwo.io.channels.sending import Window, deliver
    from sixplustwo.store.audit import Audit
    from sixplustwo.store.database import session
    from sixplustwo.store.outbox import FAILED, PENDING, Outbox

    started = time.monotonic()
    host = host_name()
    outcome = Outcome()
    secrets = config.secrets()
    with session(db_option(ctx)) as writing:
        with writing() as db:
            outbox = Outbox(db, host)
            outbox.plan(messages)
            stored = outbox.rows(m.key for m in messages)
        # A row already sent, or in flight when an earlier run was killed, is not sent again.
        todo = [m for m in messages if stored[m.key].state in (PENDING, FAILED)]
        already = len(messages) - len(todo)
        kinds = {m.key: m for m in todo}

        def claim(keys: list[str]) -> list[str]:
            with writing() as db:
                outbox = Outbox(db, host)
                return [key for key in keys if outbox.claim(key)]

        def settle(key: str, result: Result) -> None:
            state = "sent" if result.ok else "unknown" if result.unknown else "failed"
            with writing() as db:
                Outbox(db, host).settle(key, state, result.code, _scrub(result.message, secrets))
            message = kinds[key]
            counts = outcome.by_channel.setdefault(message.channel, [0, 0, 0])
            counts[0 if result.ok else 2 if result.unknown else 1] += 1
            if result.ok and message.action_id:
                outcome.sent_actions.append(message.action_id)

        with http_client(timeout) as client:
            jobs, lanes = _jobs(client, config, todo)
            windows = {name: Window(*limit) for name, limit in lanes.items()}
            result = deliver(jobs, windows, deadline=started + timeout, claim=claim, settle=settle)
        with writing() as db:
            audit = Audit(db, command_line(ctx).user)
            for channel, (sent, failed, unknown) in sorted(outcome.by_channel.items()):
                audit.record(
                    command,
                    N_("{channel}: {sent} sent, {failed} failed, {unknown} unknown"),
                    sent,
                    channel,
                    channel=channel,
                    sent=sent,
                    failed=failed,
                    unknown=unknown,
                )
    outcome.sent, outcome.failed, outcome.unknown = result.sent, result.failed, result.unknown
    outcome.left, outcome.skipped = result.left, result.skipped + already
    return outcome


def _scrub(message: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        message = message.replace(secret, "***")
    return message


def _jobs(client, config: Channels, messages: Sequence[Message]):
    """A job a message (robots, Aliyun), or a request of up to 200 numbers that share a
    template and its parameters (Tencent); each channel's lane with its limit."""
    from sixplustwo.io.channels import aliyun_sms, dingtalk, feishu, tencent_sms, webhook, wecom
    from sixplustwo.io.channels.sending import Job

    senders: dict[str, Callable] = {
        "wecom": wecom.send,
        "dingtalk": dingtalk.send,
        "feishu": feishu.send,
        "webhook": webhook.send,
    }
    jobs, lanes = [], {}
    batches: dict[tuple, list[Message]] = {}
    for message in messages:
        payload = json.loads(message.payload)
        if message.channel == "sms":
            sms = config.sms
            if sms is None:
                continue
            lanes["sms"] = (sms.per_second, 1.0, SMS_PARALLEL)
            if sms.kind == "tencent":
                group = (payload["template"], tuple(payload["params"].values()))
                batch = batches.setdefault(group, [])
                batch.append(message)
                if len(batch) == tencent_sms.BATCH:
                    jobs.append(_tencent_job(client, sms, batches.pop(group)))
                continue

            def one_sms(keys, sms=sms, payload=payload):
                return [aliyun_sms.send(client, sms, keys[0], payload)]

            jobs.append(Job([message.key], "sms", one_sms))
            continue
        robot = config.robots.get(message.channel)
        if robot is None:  # a robot since removed from the file: left for a later run
            continue
        lanes[robot.name] = (robot.per_minute, 60.0, 1)  # a list's parts in order
        send = senders[robot.kind]

        def one_robot(keys, send=send, robot=robot, payload=payload):
            return [send(client, robot, payload)]

        jobs.append(Job([message.key], robot.name, one_robot))
    for batch in batches.values():
        jobs.append(_tencent_job(client, config.sms, batch))
    return jobs, lanes


def _tencent_job(client, sms, batch: list[Message]):
    from sixplustwo.io.channels import tencent_sms
    from sixplustwo.io.channels.sending import Job

    payloads = {m.key: json.loads(m.payload) for m in batch}

    def request(keys: list[str]):
        return tencent_sms.send_batch(client, sms, keys, [payloads[k] for k in keys])

    return Job([m.key for m in batch], "sms", request)
