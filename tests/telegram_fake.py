"""A fake Telegram for the storage backend's tests, behind the Telethon client calls it makes.

`FakeTelegram` is the server side (accounts, channels, messages, documents, DCs) and
`FakeTelegramClient` mirrors the `TelegramClient` methods and raw requests the backend uses,
with Telethon's names, arguments, return types (real `telethon.tl.types` objects) and errors
(real `telethon.errors`). It enforces what Telegram enforces and the backend must respect:
- access hashes: each account has its own hash for each channel, and a request naming a
  channel with a wrong one gets CHANNEL_INVALID; only bots may ask for a channel they are in
  with a zero hash (`channels.getChannels`); a user finds it among its dialogs, or through a
  @username or an invite link (joining). `lookups` records every such search;
- `upload.getFile`: offset and limit divisible by 4 KiB, 1 MiB divisible by limit, a request
  never crossing a 1 MiB boundary (LIMIT_INVALID / OFFSET_INVALID otherwise);
- uploads: parts of at most 512 KiB, all but the last of one size that divides 512 KiB,
  `saveBigFilePart` above 10 MiB, every part there before the file is used
  (FILE_PART_X_MISSING), the md5 of small files, the per-file size limit, and the parts of a
  file belonging to the account that sent them;
- file references that expire (`expire_references()`: FILE_REFERENCE_EXPIRED until the
  message is fetched again), documents living in one DC (FILE_MIGRATE_X elsewhere);
- channel membership and admin rights (members may post in supergroups, only admins in
  broadcast channels); injected FloodWaits and transient failures per account.
Every getFile and upload part takes `latency` seconds, and the calls in flight per account and
DC are counted, reads and uploads together.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from telethon import errors, utils
from telethon.tl import functions, types
from telethon.tl.custom.dialog import Dialog
from telethon.tl.custom.participantpermissions import ParticipantPermissions

MiB = 1024 * 1024
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PART_MAX = 512 * 1024
BIG_FILE = 10 * MiB


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def marked(channel_id: int) -> int:
    """Telethon's "marked" id of a channel (what get_peer_id gives; -100… for real ids)."""
    return utils.get_peer_id(types.PeerChannel(channel_id))


@dataclass
class FakeDocument:
    id: int
    access_hash: int
    data: bytes
    dc_id: int
    name: str
    reference_generation: int = 0


@dataclass
class FakeChannel:
    id: int  # the bare id; see marked_id
    title: str
    admins: set[str] = field(default_factory=set)  # account names that may post
    members: set[str] = field(default_factory=set)  # account names that can see it
    megagroup: bool = False  # a supergroup rather than a broadcast channel
    username: str = ""
    invite: str = ""  # the hash of its invite link (t.me/+<invite>)
    posting_refused: bool = False  # Telegram refuses posts whatever the rights say
    messages: dict[int, FakeDocument | str] = field(default_factory=dict)
    next_message: int = 1

    @property
    def marked_id(self) -> int:
        return marked(self.id)


@dataclass
class FakeAccount:
    name: str
    home_dc: int
    is_bot: bool
    user_id: int


class FakeTelegram:
    def __init__(self, *, max_file_bytes: int = 2000 * MiB, latency: float = 0.0) -> None:
        self.max_file_bytes = max_file_bytes
        self.latency = latency
        self.accounts: dict[str, FakeAccount] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.ids = itertools.count(1000)
        self.reference_generation = 0
        self.floods: dict[str, list[list]] = defaultdict(list)  # [after, seconds, premium]
        self.part_failures: dict[str, list[type[Exception]]] = defaultdict(list)
        self.bot_logins: dict[str, int] = defaultdict(int)
        self.get_file_calls: list[tuple[str, int, int, int]] = []  # account, dc, offset, limit
        self.part_calls: list[tuple[str, int, int]] = []  # account, file id, part
        self.lookups: list[tuple[str, str]] = []  # account, way: dialogs, zero-hash, ...
        self.parts: dict[tuple[str, int], dict[int, bytes]] = defaultdict(dict)
        self.big_files: set[tuple[str, int]] = set()
        self.in_flight: dict[tuple[str, int], int] = defaultdict(int)
        self.most_in_flight: dict[tuple[str, int], int] = defaultdict(int)
        self.kinds_in_flight: dict[str, int] = defaultdict(int)  # "read" / "part"
        self.reads_and_parts_overlapped = False
        self.upload_dc = 2  # where new documents land
        self.sent: list[dict] = []  # text messages sent (bot replies, check posts), and edits

    # --- set-up ---

    def account(self, name: str, *, home_dc: int = 2, is_bot: bool = True) -> FakeAccount:
        account = FakeAccount(name, home_dc, is_bot, user_id=next(self.ids))
        self.accounts[name] = account
        return account

    def channel(
        self,
        title: str,
        *,
        admins: set[str] = (),
        members: set[str] = (),
        megagroup: bool = False,
        username: str = "",
        invite: str = "",
    ) -> FakeChannel:
        channel = FakeChannel(
            next(self.ids),
            title,
            set(admins),
            set(members) | set(admins),
            megagroup=megagroup,
            username=username,
            invite=invite,
        )
        self.channels[channel.marked_id] = channel
        return channel

    def flood_next(
        self, account: str, seconds: int, *, premium: bool = False, after: int = 0
    ) -> None:
        """The account's getFile or upload-part call after the next `after` ones floods."""
        self.floods[account].append([after, seconds, premium])

    def fail_next_parts(self, account: str, *failures: type[Exception]) -> None:
        """The account's next upload parts fail in transit, one with each error given."""
        self.part_failures[account].extend(failures)

    def expire_references(self) -> None:
        self.reference_generation += 1

    def session_string(self, account: str) -> str:
        return f"fake:{account}"

    def stored_bytes(self, chat_id: int, message_id: int) -> bytes:
        return self.channels[chat_id].messages[message_id].data

    def access_hash(self, account: str, channel: FakeChannel) -> int:
        """The account's own hash for the channel, as Telegram hands it to that account only."""
        digest = hashlib.sha256(f"{account}:{channel.id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    def entity(self, account: str, channel: FakeChannel) -> types.Channel:
        """The channel as `account` sees it, with its access hash."""
        return types.Channel(
            id=channel.id,
            title=channel.title,
            photo=types.ChatPhotoEmpty(),
            date=NOW,
            broadcast=not channel.megagroup,
            megagroup=channel.megagroup,
            username=channel.username or None,
            access_hash=self.access_hash(account, channel),
        )

    # --- server side of the calls ---

    def check_flood(self, account: str, request: object) -> None:
        if self.floods[account]:
            if self.floods[account][0][0] > 0:
                self.floods[account][0][0] -= 1
                return
            _, seconds, premium = self.floods[account].pop(0)
            error = errors.FloodPremiumWaitError if premium else errors.FloodWaitError
            raise error(request=request, capture=seconds)

    def reference(self, document: FakeDocument) -> bytes:
        return hashlib.sha256(f"{document.id}:{self.reference_generation}".encode()).digest()[:16]

    def channel_for(self, account: FakeAccount, peer: object) -> FakeChannel:
        """The channel a request names (by id and this account's hash), if the account is in it."""
        bare = getattr(peer, "channel_id", None) or peer.id
        channel = self.channels.get(marked(bare))
        if channel is None or peer.access_hash != self.access_hash(account.name, channel):
            raise errors.ChannelInvalidError(request=None)
        if account.name not in channel.members:
            raise errors.ChannelPrivateError(request=None)
        return channel

    async def counted(self, account: str, dc: int, kind: str) -> None:
        """One call taking `latency` seconds, counted among those in flight to the DC."""
        key = (account, dc)
        self.in_flight[key] += 1
        self.most_in_flight[key] = max(self.most_in_flight[key], self.in_flight[key])
        self.kinds_in_flight[kind] += 1
        if self.kinds_in_flight["read"] and self.kinds_in_flight["part"]:
            self.reads_and_parts_overlapped = True
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.in_flight[key] -= 1
            self.kinds_in_flight[kind] -= 1

    async def get_file(
        self, account: str, dc: int, request: functions.upload.GetFileRequest
    ) -> types.upload.File:
        offset, limit, location = request.offset, request.limit, request.location
        self.check_flood(account, request)
        if offset % 4096 or offset < 0:
            raise errors.OffsetInvalidError(request=request)
        if (
            limit <= 0
            or limit % 4096
            or MiB % limit
            or offset // MiB != (offset + limit - 1) // MiB
        ):
            raise errors.LimitInvalidError(request=request)
        document = self.document(location.id)
        if document is None or location.access_hash != document.access_hash:
            raise errors.FileIdInvalidError(request=request)
        if location.file_reference != self.reference(document):
            raise errors.FileReferenceExpiredError(request=request)
        if dc != document.dc_id:
            raise errors.FileMigrateError(request=request, capture=document.dc_id)
        self.get_file_calls.append((account, dc, offset, limit))
        await self.counted(account, dc, "read")
        return types.upload.File(
            types.storage.FilePartial(), 0, document.data[offset : offset + limit]
        )

    async def save_part(self, account: str, dc: int, request) -> bool:
        """upload.saveFilePart / upload.saveBigFilePart."""
        self.check_flood(account, request)
        if self.part_failures[account]:
            failure = self.part_failures[account].pop(0)
            if issubclass(failure, errors.RPCError):
                raise failure(request=request)
            raise failure("the connection dropped")
        data, index = request.bytes, request.file_part
        if not data:
            raise errors.FilePartEmptyError(request=request)
        if len(data) > PART_MAX:
            raise errors.FilePartTooBigError(request=request)
        key = (account, request.file_id)
        if isinstance(request, functions.upload.SaveBigFilePartRequest):
            self.big_files.add(key)
            if not 0 <= index < request.file_total_parts <= 4000:
                raise errors.FilePartInvalidError(request=request)
        self.part_calls.append((account, request.file_id, index))
        await self.counted(account, dc, "part")
        self.parts[key][index] = data
        return True

    def uploaded(self, account: str, file: types.InputFile | types.InputFileBig) -> bytes:
        """The bytes of a file the account uploaded in parts, checked as Telegram checks them."""
        key = (account, file.id)
        parts = self.parts.pop(key, {})
        big = isinstance(file, types.InputFileBig)
        for index in range(file.parts):
            if index not in parts:
                raise errors.FilePartMissingError(request=None, capture=index)
        sizes = {len(parts[index]) for index in range(file.parts - 1)}
        if len(sizes) > 1 or any(size % 1024 or PART_MAX % size for size in sizes):
            raise errors.FilePartSizeInvalidError(request=None)
        data = b"".join(parts[index] for index in range(file.parts))
        if big != (key in self.big_files) or (not big and len(data) > BIG_FILE):
            raise errors.FilePartsInvalidError(request=None)
        if not big and file.md5_checksum and file.md5_checksum != md5(data):
            raise errors.Md5ChecksumInvalidError(request=None)
        if len(data) > self.max_file_bytes:
            raise errors.FilePartsInvalidError(request=None)
        return data

    def get_channels(self, account: FakeAccount, request) -> types.messages.Chats:
        chats = []
        for wanted in request.id:
            if wanted.access_hash == 0:  # asking by id alone: bots may, for chats they are in
                self.lookups.append((account.name, "zero-hash"))
                channel = self.channels.get(marked(wanted.channel_id))
                if not account.is_bot or channel is None:
                    raise errors.ChannelInvalidError(request=request)
                if account.name not in channel.members:
                    raise errors.ChannelPrivateError(request=request)
            else:
                channel = self.channel_for(account, wanted)
            chats.append(self.entity(account.name, channel))
        return types.messages.Chats(chats)

    def resolve_username(self, account: FakeAccount, request) -> types.contacts.ResolvedPeer:
        self.lookups.append((account.name, "username"))
        for channel in self.channels.values():
            if channel.username and channel.username.lower() == request.username.lower():
                entity = self.entity(account.name, channel)
                return types.contacts.ResolvedPeer(types.PeerChannel(channel.id), [entity], [])
        raise errors.UsernameNotOccupiedError(request=request)

    def invite_channel(self, account: FakeAccount, request) -> FakeChannel:
        self.lookups.append((account.name, type(request).__name__))
        if account.is_bot:
            raise errors.BotMethodInvalidError(request=request)
        for channel in self.channels.values():
            if channel.invite and channel.invite == request.hash:
                return channel
        raise errors.InviteHashInvalidError(request=request)

    def check_invite(self, account: FakeAccount, request):
        channel = self.invite_channel(account, request)
        if account.name in channel.members:
            return types.ChatInviteAlready(self.entity(account.name, channel))
        return types.ChatInvite(
            title=channel.title,
            photo=types.PhotoEmpty(0),
            participants_count=len(channel.members),
            color=0,
            channel=True,
            broadcast=not channel.megagroup,
            megagroup=channel.megagroup,
        )

    def join(self, account: FakeAccount, request) -> types.Updates:
        channel = self.invite_channel(account, request)
        if account.name in channel.members:
            raise errors.UserAlreadyParticipantError(request=request)
        channel.members.add(account.name)
        return types.Updates([], [], [self.entity(account.name, channel)], NOW, 0)

    def document(self, document_id: int) -> FakeDocument | None:
        for channel in self.channels.values():
            for document in channel.messages.values():
                if isinstance(document, FakeDocument) and document.id == document_id:
                    return document
        return None

    def client(self, spec, string_session: str) -> FakeTelegramClient:
        """A `client_factory` for the backend: the fake plays the part of `telethon_client`."""
        return FakeTelegramClient(self, string_session, bot_token=getattr(spec, "bot_token", ""))


class FakeSession:
    """The slice of a Telethon StringSession the backend reads: `dc_id` and `save()`."""

    def __init__(self, server: FakeTelegram, string: str) -> None:
        self.server = server
        self.account_name = string.removeprefix("fake:") if string.startswith("fake:") else ""

    @property
    def dc_id(self) -> int:
        account = self.server.accounts.get(self.account_name)
        return account.home_dc if account else 2

    def save(self) -> str:
        return self.server.session_string(self.account_name) if self.account_name else ""


class FakeSender:
    def __init__(self, dc_id: int) -> None:
        self.dc_id = dc_id


class FakeTelegramClient:
    def __init__(self, server: FakeTelegram, string_session: str, *, bot_token: str = "") -> None:
        self.server = server
        self.session = FakeSession(server, string_session)
        self.bot_token = bot_token
        self.connected = False
        self.borrowed: list[int] = []

    @property
    def account(self) -> FakeAccount:
        if not self.connected:
            raise ConnectionError("Cannot send requests while disconnected")
        account = self.server.accounts.get(self.session.account_name)
        if account is None:
            raise errors.AuthKeyUnregisteredError(request=None)
        return account

    async def connect(self) -> None:
        self.connected = True

    async def disconnect(self) -> None:
        self.connected = False

    async def is_user_authorized(self) -> bool:
        return self.session.account_name in self.server.accounts

    async def sign_in(
        self, phone=None, code=None, *, password=None, bot_token=None, phone_code_hash=None
    ):
        bot_id = bot_token.split(":", 1)[0]
        name = f"bot-{bot_id}"
        if name not in self.server.accounts:
            raise errors.AccessTokenInvalidError(request=None)
        self.server.bot_logins[name] += 1
        self.session.account_name = name
        return types.User(id=self.server.accounts[name].user_id, bot=True, username=name)

    async def get_me(self) -> types.User:
        account = self.account
        return types.User(id=account.user_id, bot=account.is_bot, username=account.name)

    async def get_entity(self, peer) -> types.Channel:
        """As Telethon: a bare (marked) id is looked up with a zero hash, which only bots may
        use; anything else must carry this account's hash."""
        if isinstance(peer, int):
            request = functions.channels.GetChannelsRequest(
                [types.InputChannel(utils.resolve_id(peer)[0], 0)]
            )
            try:
                return (await self(request)).chats[0]
            except errors.ChannelInvalidError:
                raise ValueError(
                    f"Could not find the input entity for PeerChannel(channel_id={peer})"
                ) from None
        return self.server.entity(self.account.name, self.server.channel_for(self.account, peer))

    async def iter_dialogs(self):
        account = self.account
        if account.is_bot:
            raise errors.BotMethodInvalidError(request=None)
        self.server.lookups.append((account.name, "dialogs"))
        for channel in list(self.server.channels.values()):
            if account.name in channel.members:
                entity = self.server.entity(account.name, channel)
                dialog = types.Dialog(
                    peer=types.PeerChannel(channel.id),
                    top_message=0,
                    read_inbox_max_id=0,
                    read_outbox_max_id=0,
                    unread_count=0,
                    unread_mentions_count=0,
                    unread_reactions_count=0,
                    unread_poll_votes_count=0,
                    notify_settings=types.PeerNotifySettings(),
                )
                yield Dialog(self, dialog, {channel.marked_id: entity}, None)

    async def get_permissions(self, entity, user: str | None = None) -> ParticipantPermissions:
        assert user == "me"
        account = self.account
        channel = self.server.channel_for(account, entity)
        if account.name in channel.admins:
            rights = types.ChatAdminRights(
                post_messages=not channel.megagroup, edit_messages=True, delete_messages=True
            )
            participant = types.ChannelParticipantAdmin(account.user_id, 1, NOW, rights)
        else:
            participant = types.ChannelParticipant(account.user_id, NOW)
        return ParticipantPermissions(participant, False)

    def postable(self, entity) -> FakeChannel:
        account = self.account
        channel = self.server.channel_for(account, entity)
        if channel.posting_refused or (
            not channel.megagroup and account.name not in channel.admins
        ):
            raise errors.ChatWriteForbiddenError(request=None)
        return channel

    async def send_file(
        self, entity, file, *, force_document=False, attributes=None, **_
    ) -> types.Message:
        channel = self.postable(entity)
        data = self.server.uploaded(self.account.name, file)
        name = next(
            a.file_name for a in attributes or [] if isinstance(a, types.DocumentAttributeFilename)
        )
        document = FakeDocument(
            next(self.server.ids), next(self.server.ids), data, self.server.upload_dc, name
        )
        return self.message(channel, self.post(channel, document))

    def post(self, channel: FakeChannel, content: FakeDocument | str) -> int:
        message_id = channel.next_message
        channel.next_message += 1
        channel.messages[message_id] = content
        return message_id

    def message(self, channel: FakeChannel, message_id: int) -> types.Message:
        document = channel.messages[message_id]
        if isinstance(document, str):
            return types.Message(
                id=message_id, peer_id=types.PeerChannel(channel.id), date=NOW, message=document
            )
        media = types.MessageMediaDocument(
            document=types.Document(
                id=document.id,
                access_hash=document.access_hash,
                file_reference=self.server.reference(document),
                date=NOW,
                mime_type="application/octet-stream",
                size=len(document.data),
                dc_id=document.dc_id,
                attributes=[types.DocumentAttributeFilename(document.name)],
            )
        )
        return types.Message(
            id=message_id, peer_id=types.PeerChannel(channel.id), date=NOW, message="", media=media
        )

    async def get_messages(self, entity, ids: int | None = None):
        channel = self.server.channel_for(self.account, entity)
        if ids not in channel.messages:
            return None
        return self.message(channel, ids)

    async def delete_messages(self, entity, message_ids):
        account = self.account
        channel = self.server.channel_for(account, entity)
        if account.name not in channel.admins:
            raise errors.MessageDeleteForbiddenError(request=None)
        deleted = [m for m in message_ids if channel.messages.pop(m, None) is not None]
        return [types.messages.AffectedMessages(pts=1, pts_count=len(deleted))]

    # --- text messages: the bot's replies, telegram_check's test posts ---

    _mb_entity_cache = None  # Telethon's entity cache; events built in tests bring entities

    @property
    def _self_id(self) -> int | None:
        account = self.server.accounts.get(self.session.account_name)
        return account.user_id if account else None

    async def send_message(self, entity, message: str, *, reply_to: int | None = None, **_):
        if isinstance(entity, types.InputPeerChannel | types.Channel):
            channel = self.postable(entity)
            message_id = self.post(channel, message)
            peer = types.PeerChannel(channel.id)
        else:
            message_id, peer = len(self.server.sent) + 1000, types.PeerUser(0)
        self.server.sent.append(
            {"id": message_id, "chat": entity, "text": message, "reply_to": reply_to, "edits": []}
        )
        sent = types.Message(id=message_id, peer_id=peer, date=NOW, message=message, out=True)
        sent._finish_init(self, {}, entity)
        return sent

    async def edit_message(self, entity, message: int, text: str | None = None, **_):
        record = next(r for r in self.server.sent if r["id"] == message)
        record["edits"].append(text)
        return None

    # --- raw requests ---

    async def __call__(self, request):
        return await self._call(FakeSender(self.session.dc_id), request)

    async def _borrow_exported_sender(self, dc_id: int) -> FakeSender:
        self.borrowed.append(dc_id)
        return FakeSender(dc_id)

    async def _return_exported_sender(self, sender: FakeSender) -> None:
        self.borrowed.remove(sender.dc_id)

    async def _call(self, sender: FakeSender, request):
        account = self.account
        server = self.server
        if isinstance(request, functions.upload.GetFileRequest):
            return await server.get_file(account.name, sender.dc_id, request)
        if isinstance(
            request, functions.upload.SaveFilePartRequest | functions.upload.SaveBigFilePartRequest
        ):
            return await server.save_part(account.name, sender.dc_id, request)
        answers = {
            functions.channels.GetChannelsRequest: server.get_channels,
            functions.contacts.ResolveUsernameRequest: server.resolve_username,
            functions.messages.CheckChatInviteRequest: server.check_invite,
            functions.messages.ImportChatInviteRequest: server.join,
        }
        if type(request) not in answers:
            raise NotImplementedError(f"the fake does not answer {type(request).__name__}")
        return answers[type(request)](account, request)


class MemoryBook:
    """The router's book (logins, access hashes, channel links) in memory; the database one,
    `shadowvault.storage.telegram.book.SessionBook`, is tested on its own."""

    def __init__(self, links: dict[int, str] | None = None) -> None:
        self.logins: dict[str, str] = {}
        self.hashes: dict[tuple[str, int], tuple[int, str]] = {}
        self.links = dict(links or {})

    def login_load(self, spec) -> str:
        return self.logins.get(spec.name, "")

    def login_save(self, spec, string_session: str) -> None:
        self.logins[spec.name] = string_session

    def access_load(self, session: str, chat_id: int) -> int | None:
        kept = self.hashes.get((session, chat_id))
        return kept[0] if kept else None

    def access_keep(self, session: str, chat_id: int, access_hash: int, found_by: str) -> None:
        self.hashes[(session, chat_id)] = (access_hash, found_by)

    def access_forget(self, session: str, chat_id: int) -> None:
        self.hashes.pop((session, chat_id), None)

    def link(self, chat_id: int) -> str:
        return self.links.get(chat_id, "")


def fake_backend(telegram: FakeTelegram, channel: FakeChannel, *, tokens=("1:x",), **options):
    """A TelegramBackend over `telegram`, storing in `channel`, with bots for `tokens`
    (`1:x` is the account `bot-1`) and a book in memory."""
    from shadowvault.storage.telegram import TelegramBackend
    from shadowvault.storage.telegram.sessions import bot_spec

    options.setdefault("max_file_bytes", 2000 * MiB)
    options.setdefault("book", MemoryBook())
    return TelegramBackend(
        [bot_spec(token) for token in tokens],
        client_factory=telegram.client,
        channel_of=lambda _tenant: channel.marked_id,
        **options,
    )
