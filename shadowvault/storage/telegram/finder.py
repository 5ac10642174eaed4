"""How a session finds a storage channel's access hash, in the ways Telegram allows.

Requests name a channel by its id and an access hash that differs from one account to the
next, and a fresh string session knows none. What each kind of session may do:
- a bot may ask for a channel it is in by id with a zero hash (`channels.getChannels`);
- a user may not (Telegram answers CHANNEL_INVALID): it finds the channel among its dialogs;
- either may resolve the channel's public `@username`, and a user may check, or join through,
  an invite link, when the curator gave one (`StorageChannel.link`).
The router keeps what is found, per session and channel, so that no restart looks again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telethon import errors, utils
from telethon.tl import functions, types

from .problems import ChannelProblem

# How a hash was found (ChannelAccess.found_by).
BY_DIALOGS, BY_ZERO_HASH, BY_USERNAME, BY_INVITE, BY_REGISTER = (
    "dialogs",
    "zero-hash",
    "username",
    "invite",
    "register",
)

_LINK = r"(?:https?://)?(?:t\.me|telegram\.me|telegram\.dog)/"
_INVITE = re.compile(rf"\A{_LINK}(?:\+|joinchat/)([\w-]{{8,}})/?\Z")
_USERNAME = re.compile(rf"\A(?:@|{_LINK})([A-Za-z]\w{{3,31}})/?\Z")


@dataclass(frozen=True)
class Link:
    kind: str  # "username" or "invite"
    value: str  # the username without "@", or the invite's hash


def link_parse(text: str) -> Link:
    """`@name`, `t.me/name`, `t.me/+hash` or `t.me/joinchat/hash`; ValueError otherwise."""
    text = text.strip()
    if match := _INVITE.match(text):
        return Link("invite", match.group(1))
    if match := _USERNAME.match(text):
        return Link("username", match.group(1))
    raise ValueError(
        f"{text!r} is neither a @username nor an invite link (https://t.me/+… or t.me/name)"
    )


def channel_id(chat: int) -> int:
    """The bare id of a channel's marked id (-100…); ChannelProblem for any other chat."""
    bare, kind = utils.resolve_id(chat)
    if kind is not types.PeerChannel:
        raise ChannelProblem(
            f"cannot use chat {chat}: it is not a channel or supergroup (ids start with -100)"
        )
    return bare


async def access_find(client: Any, *, chat: int, is_bot: bool, link: str) -> tuple[int, str]:
    """(access hash, how it was found) for `chat`, looked up the ways the session may.

    Raises ChannelProblem when no way finds it (the message says what to do), and lets
    Telegram's FloodWait through for the caller to cool the session down.
    """
    bare = channel_id(chat)
    try:
        given = link_parse(link) if link else None
    except ValueError as exc:
        raise ChannelProblem(f"cannot use the link given for channel {chat}: {exc}") from exc
    if is_bot:
        found = await _by_zero_hash(client, bare)
        if found is None and given is not None and given.kind == "username":
            found = await _by_link(client, bare, given)
        if found is None:
            raise ChannelProblem(f"cannot find channel {chat}: add the bot there as an admin")
        return found
    link_problem: ChannelProblem | None = None
    if given is not None:
        try:
            return await _by_link(client, bare, given)
        except ChannelProblem as exc:  # the account may still be in the channel
            link_problem = exc
    found = await _by_dialogs(client, bare)
    if found is None:
        raise link_problem or ChannelProblem(
            f"cannot find channel {chat} among the account's chats: add the account there as an "
            "admin, or give the channel's @username or invite link in admin"
        )
    return found


async def _by_zero_hash(client: Any, bare: int) -> tuple[int, str] | None:
    try:
        result = await client(functions.channels.GetChannelsRequest([types.InputChannel(bare, 0)]))
    except (errors.ChannelInvalidError, errors.ChannelPrivateError):
        return None
    access_hash = _hash_among(result.chats, bare)
    return None if access_hash is None else (access_hash, BY_ZERO_HASH)


async def _by_dialogs(client: Any, bare: int) -> tuple[int, str] | None:
    async for dialog in client.iter_dialogs():
        access_hash = _hash_among([dialog.entity], bare)
        if access_hash is not None:
            return access_hash, BY_DIALOGS
    return None


async def _by_link(client: Any, bare: int, link: Link) -> tuple[int, str]:
    """Through a @username (bots and users) or an invite link (users, who join if need be)."""
    chat = utils.get_peer_id(types.PeerChannel(bare))
    try:
        if link.kind == "username":
            resolved = await client(functions.contacts.ResolveUsernameRequest(link.value))
            return _hash_from(resolved.chats, bare, f"@{link.value}"), BY_USERNAME
        chats = await _invite_chats(client, link.value)
        return _hash_from(chats, bare, "the invite link"), BY_INVITE
    except (errors.UsernameNotOccupiedError, errors.UsernameInvalidError) as exc:
        raise ChannelProblem(
            f"cannot use @{link.value}, given for channel {chat}: it names nobody ({exc})"
        ) from exc
    except (errors.InviteHashExpiredError, errors.InviteHashInvalidError) as exc:
        raise ChannelProblem(
            f"cannot use the invite link given for channel {chat}: it no longer works ({exc}); "
            "give a new one"
        ) from exc
    except errors.InviteRequestSentError as exc:
        raise ChannelProblem(
            f"cannot join channel {chat} without an admin's approval: approve the request"
        ) from exc


async def _invite_chats(client: Any, invite: str) -> Sequence[Any]:
    """The chats an invite leads to, joining first when the account is not in yet."""
    checked = await client(functions.messages.CheckChatInviteRequest(invite))
    if isinstance(checked, types.ChatInviteAlready):
        return [checked.chat]
    try:
        joined = await client(functions.messages.ImportChatInviteRequest(invite))
    except errors.UserAlreadyParticipantError:  # joined meanwhile, by another process
        checked = await client(functions.messages.CheckChatInviteRequest(invite))
        return [getattr(checked, "chat", None)]
    return joined.chats


def _hash_from(chats: Sequence[Any], bare: int, via: str) -> int:
    access_hash = _hash_among(chats, bare)
    if access_hash is None:
        chat = utils.get_peer_id(types.PeerChannel(bare))
        raise ChannelProblem(
            f"cannot use {via}: it leads to another chat than channel {chat}; check it in admin"
        )
    return access_hash


def _hash_among(chats: Sequence[Any], bare: int) -> int | None:
    """The full access hash of channel `bare` among `chats` (min entities carry none usable)."""
    for chat in chats:
        if (
            isinstance(chat, types.Channel)
            and chat.id == bare
            and not chat.min
            and chat.access_hash is not None
        ):
            return chat.access_hash
    return None
