"""The Starfish client: every action (directly or by signature), revenue, claims, queries and events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode
from eth_account.signers.local import LocalAccount
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from starfish_dao.chain import artifacts
from starfish_dao.chain.deployment import Deployment, roles_of
from starfish_dao.chain.logs import LogRanges, fetch_logs
from starfish_dao.chain.openings import Opening, Openings, openings_for, opens, salt_for, sealed
from starfish_dao.chain.rpc import RawRpc
from starfish_dao.chain.tx import send
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.commitment import commitment, new_salt
from starfish_dao.domain.errors import ChainError, ContractRevert, DeploymentError
from starfish_dao.domain.fastabi import checksum
from starfish_dao.domain.model import ETH, STATUSES
from starfish_dao.domain.unixfs import CID, RAW

SIGNATURE_TTL = 3600  # seconds a signed action stays valid by default
LOG_CHUNK = 5000  # blocks per eth_getLogs request


@dataclass(frozen=True)
class SignedAction:
    """An action signed by `signer`: the typed data they saw and their signature."""

    action: str
    signer: str
    typed_data: dict[str, Any]
    signature: bytes

    @property
    def message(self) -> dict[str, Any]:
        return dict(self.typed_data["message"])

    @property
    def commitment(self) -> bytes:
        """A Submit's commitment: it must be posted (by anyone) before the Submit is sent."""
        if self.action != "Submit":
            raise ValueError(f"a {self.action} has no commitment")
        m = self.message
        return commitment(m["author"], _bytes(m["contentHash"]), _bytes(m["salt"]))


def raw_content_hash(cid: bytes) -> bytes:
    """The content hash of an artifact whose CID is one raw block: its sha256 digest."""
    try:
        parsed = CID.from_bytes(cid)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"not a CID: 0x{cid.hex()}; give the content hash explicitly") from exc
    if parsed.codec != RAW:
        raise ValueError("the CID is a UnixFS tree, not one raw block: give the content hash (sha256 of the bytes)")
    return parsed.digest


def lowest_free_bit(bitmap: int, taken: set[int]) -> int | None:
    """The lowest bit of a 256-bit word that is neither set nor in `taken`, or None."""
    for bit in range(256):
        if not bitmap >> bit & 1 and bit not in taken:
            return bit
    return None


class Starfish:
    """A deployed Starfish DAO on one chain."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        if int(w3.eth.chain_id) != deployment.chain_id:
            raise ChainError(f"the node is chain {w3.eth.chain_id}, the deployment is for chain {deployment.chain_id}")
        self.w3 = w3
        self.deployment = deployment
        self._handed_out: dict[tuple[str, str], set[int]] = {}
        self._openings: Openings | None = None
        self.refused_reveals: list[tuple[Opening, ContractRevert]] = []
        self.contracts: dict[str, Contract] = {
            role: w3.eth.contract(address=to_checksum_address(deployment.addresses[role]), abi=artifacts.abi(name))
            for role, name in roles_of(deployment.addresses).items()
        }

    @property
    def charter(self) -> Contract:
        return self.contracts["charter"]

    @property
    def membership(self) -> Contract:
        return self.contracts["membership"]

    @property
    def registry(self) -> Contract:
        return self.contracts["registry"]

    @property
    def splitter(self) -> Contract:
        return self.contracts["splitter"]

    @property
    def grid(self) -> Contract:
        """The grid (hosts and epoch seeds); a deployment made before the grid existed has none."""
        if "grid" not in self.contracts:
            raise DeploymentError(
                "this deployment has no grid (it was deployed before hosting existed): deploy a new DAO to host"
            )
        return self.contracts["grid"]

    def _send(self, account: LocalAccount, fn: Any, value: int = 0) -> Any:
        # encoded locally: `build_transaction` would ask the node for the chain id and fees again
        return send(self.w3, account, {"to": fn.address, "data": fn._encode_transaction_data(), "value": value})

    # ----------------------------------------------------------------- direct actions

    def join(self, account: LocalAccount) -> int:
        receipt = self._send(account, self.membership.functions.join())
        return int(self.membership.events.Joined().process_receipt(receipt, errors=DISCARD)[0]["args"]["tokenId"])

    def leave(self, account: LocalAccount) -> Any:
        return self._send(account, self.membership.functions.leave())

    def commit(self, sender: LocalAccount, commitment: bytes) -> Any:
        """Posts a commitment (anyone may; only its author can reveal it)."""
        return self._send(sender, self.registry.functions.commit(commitment))

    def commit_once(self, sender: LocalAccount, commitment: bytes) -> None:
        """Posts a commitment unless it is on chain already. Someone who copies a pending commitment
        from the mempool and posts it first makes the author's own `commit` revert
        (`RegistryAlreadyCommitted`): the commitment is still the author's (only they can reveal it),
        so the submission carries on."""
        if self.is_committed(commitment):
            return
        try:
            self.commit(sender, commitment)
        except Exception:  # re-raised unless a copy of it was mined first
            if not self.is_committed(commitment):
                raise

    def reveal(self, account: LocalAccount, cid: bytes, content_hash: bytes, effort: int, salt: bytes) -> int:
        """Reveals `account`'s committed artifact: the contribution's id."""
        receipt = self._send(account, self.registry.functions.submit(cid, content_hash, effort, salt))
        return self._submitted_id(receipt)

    def submit(
        self,
        account: LocalAccount,
        cid: bytes,
        effort: int,
        content_hash: bytes | None = None,
        salt: bytes | None = None,
    ) -> int:
        """Both steps, directly: commit, then (once the commitment is mined) reveal. Without
        `content_hash`, the CID must be a single raw block (its digest is the content's sha256)."""
        content_hash = raw_content_hash(cid) if content_hash is None else content_hash
        salt = new_salt() if salt is None else salt
        self.commit_once(account, commitment(account.address, content_hash, salt))
        return self.reveal(account, cid, content_hash, effort, salt)

    @property
    def openings(self) -> Openings:
        """The sealed ratings this client made and has not revealed (kept under the data directory)."""
        if self._openings is None:
            self._openings = openings_for(self.deployment.chain_id, self.registry.address)
        return self._openings

    def review(self, account: LocalAccount, contribution: int, stars: int, comment_cid: bytes = b"",
               text: bytes = b"") -> Any:  # fmt: skip
        """Seals a rating (the opening is kept by this client, `openings`); it counts once revealed,
        after the window closes (`reveal_due`, which `finalize` runs first). A comment is best
        given as `text` with its CID (`cid_of(text)`): it is then pinned only when the rating opens."""
        o = self.seal_opening(account, contribution, stars, comment_cid, text)
        seal = sealed(o.reviewer, o.contribution, o.stars, o.comment, o.salt)
        return self._send(account, self.registry.functions.sealReview(contribution, seal))

    def seal_opening(self, account: LocalAccount, contribution: int, stars: int, comment_cid: bytes = b"",
                     text: bytes = b"") -> Opening:  # fmt: skip
        """A rating's opening, held by this client (before anything is sent: a crash loses nothing).
        `text`: the comment whose CID is `comment_cid`, to be pinned when the rating is opened."""
        if not 0 <= stars <= 5:
            raise ValueError(f"stars must be 0-5 (got {stars})")
        salt = salt_for(bytes(account.key), self.registry.address, contribution)
        opening = Opening(contribution, account.address, stars, comment_cid, salt, text)
        self.openings.hold(opening)
        return opening

    def sign_review(self, account: LocalAccount, contribution: int, stars: int, comment_cid: bytes = b"",
                    text: bytes = b"", ttl: int = SIGNATURE_TTL) -> SignedAction:  # fmt: skip
        """A signed SealedReview for a relay (the opening stays here, in `openings`)."""
        o = self.seal_opening(account, contribution, stars, comment_cid, text)
        seal = sealed(o.reviewer, o.contribution, o.stars, o.comment, o.salt)
        return self.sign(account, "SealedReview", ttl=ttl, contribution=contribution, sealed="0x" + seal.hex())

    def draw_panel(self, sender: LocalAccount, contribution: int) -> Any:
        """Fixes the panel of `contribution` from its block's hash (a first seal does it too); past 256
        blocks, moves the draw to the next block (send it again then)."""
        return self._send(sender, self.registry.functions.drawPanel(contribution))

    def panel(self, contribution: int) -> tuple[int, int, int]:
        """(the block whose hash draws the panel, the seed or 0 until drawn, the divisor D)."""
        draw_block, seed, divisor = self.registry.functions.panel(contribution).call()
        return int(draw_block), int(seed), int(divisor)

    def on_panel(self, contribution: int, member: str) -> bool | None:
        """Whether `member` sits on the panel of `contribution` (None while it is not drawn: who sits
        is known once its block is mined)."""
        _, seed, divisor = self.panel(contribution)
        weight = self.review_weight(member, self.contribution(contribution))
        if weight == 0:
            return False
        if weight >= divisor:
            return True
        if seed == 0:
            return None
        return bool(self.registry.functions.onPanel(contribution, member, weight).call())

    def reveal_review(self, sender: LocalAccount, opening: Opening) -> Any:
        """Opens a sealed rating (anyone holding the opening may send it)."""
        fn = self.registry.functions.revealReview(
            opening.contribution, opening.reviewer, opening.stars, opening.comment, opening.salt
        )
        receipt = self._send(sender, fn)
        self.openings.drop(opening.contribution, opening.reviewer)
        return receipt

    def reveal_due(self, sender: LocalAccount, contribution: int | None = None,
                   pin: Callable[[bytes], Any] | None = None) -> int:  # fmt: skip
        """Reveals every held opening whose window has closed (of `contribution`, or all): how many.
        One whose reveal window has passed, or that is no longer sealed on chain, is dropped; one the
        contract refuses (its budget already spent, say) is dropped and kept in `refused_reveals`."""
        now = self.now()
        window = int(self.registry.functions.RATING_REVEAL_WINDOW().call())
        revealed = 0
        for opening in self.openings.of(contribution):
            c = self.registry.functions.contribution(opening.contribution).call()
            deadline, status = int(c[2]), int(c[6])
            if now <= deadline:
                continue
            still = bytes(self.registry.functions.sealedRating(opening.contribution, opening.reviewer).call())
            mine = sealed(opening.reviewer, opening.contribution, opening.stars, opening.comment, opening.salt)
            # not this rating's seal: revealed already, or an opening of another deployment at the
            # same address (a dev chain started again)
            if status != 1 or now > deadline + window or not opens(still, mine):
                self.openings.drop(opening.contribution, opening.reviewer)
                continue
            try:
                self.reveal_review(sender, opening)
            except ContractRevert as exc:  # its budget spent by earlier reveals, the reviewer suspended...
                self.openings.drop(opening.contribution, opening.reviewer)
                self.refused_reveals.append((opening, exc))
                continue
            if opening.text and pin is not None:
                pin(opening.text)  # the comment is published once its rating is open, not before
            revealed += 1
        return revealed

    def finalize(self, sender: LocalAccount, contribution: int) -> dict[str, Any]:
        """Reveals the ratings of `contribution` this client holds, then finalizes it."""
        self.reveal_due(sender, contribution)
        receipt = self._send(sender, self.registry.functions.finalize(contribution))
        return dict(self.registry.events.Finalized().process_receipt(receipt, errors=DISCARD)[0]["args"])

    # ------------------------------------------------------------- review pay

    def score_review(self, sender: LocalAccount, contribution: int, reviewer: str) -> int:
        """Scores `reviewer`'s revealed rating of `contribution` for review pay; returns the score."""
        receipt = self._send(sender, self.registry.functions.scoreReview(contribution, reviewer))
        return int(self.registry.events.ReviewScored().process_receipt(receipt, errors=DISCARD)[0]["args"]["score"])

    def forfeit_unrevealed(self, sender: LocalAccount, contribution: int, reviewer: str) -> Any:
        """Records that `reviewer` never revealed their sealed rating of `contribution`."""
        return self._send(sender, self.registry.functions.forfeitUnrevealed(contribution, reviewer))

    def claim_review_pay(self, sender: LocalAccount, reviewer: str, epoch: int, token: str = ETH) -> int:
        """Pays `reviewer` their review pay of closed `epoch` in `token`; returns the amount."""
        receipt = self._send(sender, self.registry.functions.claimReviewPay(reviewer, epoch, token))
        paid = self.registry.events.ReviewPayClaimed().process_receipt(receipt, errors=DISCARD)
        return int(paid[0]["args"]["amount"])

    def desk(self, reviewer: str, epoch: int) -> dict[str, Any]:
        """`IContributionRegistry.Desk` of `reviewer` in `epoch`, by field name."""
        spent, revealed, settled, last, forfeited, total = self.registry.functions.desk(reviewer, epoch).call()
        return {"spent": spent, "revealed": revealed, "settled": settled,
                "last": None if last == 0 else last - 1, "forfeited": forfeited, "total": total}  # fmt: skip

    def pay_eth(self, sender: LocalAccount, amount: int) -> Any:
        """ETH revenue, accounted at once (`pay(0, amount)` with the ETH attached)."""
        return self._send(sender, self.splitter.functions.pay(ETH, amount), value=amount)

    def send_eth(self, sender: LocalAccount, amount: int) -> Any:
        """A plain ETH transfer to the splitter: accepted, accounted by the next sync, claim or award."""
        return send(self.w3, sender, {"to": self.splitter.address, "value": amount, "data": b""})

    def pay_token(self, sender: LocalAccount, token: str, amount: int) -> Any:
        erc20 = self.w3.eth.contract(address=to_checksum_address(token), abi=artifacts.abi("TestToken"))
        self._send(sender, erc20.functions.approve(self.splitter.address, amount))
        return self._send(sender, self.splitter.functions.pay(token, amount))

    def sync(self, sender: LocalAccount, token: str = ETH) -> Any:
        return self._send(sender, self.splitter.functions.sync(token))

    def claim(self, sender: LocalAccount, member: str | None = None, token: str = ETH) -> int:
        """Pays `member` (the sender by default) everything they can claim in `token`; a member's own
        ETH goes through `claimEth()`, the same claim in fewer bytes."""
        member = member or sender.address
        if token == ETH and member.lower() == sender.address.lower():
            receipt = self._send(sender, self.splitter.functions.claimEth())
        else:
            receipt = self._send(sender, self.splitter.functions.claim(member, token))
        return self._claimed_amount(receipt, member)

    def claim_to(self, member: LocalAccount, to: str, token: str = ETH) -> int:
        """Pays `member`'s claim in `token` to another address `to`."""
        receipt = self._send(member, self.splitter.functions.claimTo(token, to))
        return self._claimed_amount(receipt, member.address)

    def claim_incarnation_to(self, member: LocalAccount, token: str, incarnation: int, to: str) -> int:
        """Pays `member`'s claim in an earlier incarnation of `token` to another address `to`."""
        receipt = self._send(member, self.splitter.functions.claimIncarnationTo(token, incarnation, to))
        return self._claimed_amount(receipt, member.address)

    def _claimed_amount(self, receipt: Any, member: str | None = None) -> int:
        """What a claim (of `member`, when given) paid: the first `Claimed` or `EthClaimed` (ETH paid
        to the member's own address) event in log order. The claim's own event comes before any that
        a payee's re-entrant claims emit while it is paid (a claim emits, then pays)."""
        events = self.splitter.events
        logs = [*events.Claimed().process_receipt(receipt, errors=DISCARD),
                *events.EthClaimed().process_receipt(receipt, errors=DISCARD)]  # fmt: skip
        mine = sorted((log for log in logs if member is None or log["args"]["member"].lower() == member.lower()),
                      key=lambda log: int(log["logIndex"]))  # fmt: skip
        return int(mine[0]["args"]["amount"]) if mine else 0

    def _submitted_id(self, receipt: Any) -> int:
        return int(self.registry.events.Submitted().process_receipt(receipt, errors=DISCARD)[0]["args"]["id"])

    # ----------------------------------------------------------------- signed actions

    def typed_data_for(self, action: str, message: dict[str, Any]) -> dict[str, Any]:
        if td.ACTION_DOMAINS.get(action, ("",))[0] == "grid":
            self.grid  # noqa: B018 - a deployment without a grid: say so, not a KeyError
        domain = td.domain_for(action, self.deployment.chain_id, self.deployment.addresses)
        return td.typed_data(action, domain, message)

    def sign(self, account: LocalAccount, action: str, ttl: int = SIGNATURE_TTL, **fields: Any) -> SignedAction:
        """Signs `action` for `account`; `fields` are the action's own (e.g. contribution, stars)."""
        signer_field = td.signer_field(action)
        message = {signer_field: account.address, **fields}
        if action in ("Join", "Leave") and "generation" not in message:
            message["generation"] = self.generation(account.address)
        if action == "Submit":
            if "contentHash" not in message:  # only then must the CID be a raw block (a CIDv0 is not)
                message["contentHash"] = raw_content_hash(_bytes(message["cid"]))
            message.setdefault("salt", new_salt())
        if action == "Ballot":  # the governor's own ballot: a sequential nonce, no deadline
            message.setdefault("nonce", int(self.contracts["governor"].functions.nonces(account.address).call()))
        else:
            if "nonce" not in message:
                message["nonce"] = self.next_nonce(action, account.address)
            message.setdefault("deadline", self.now() + ttl if ttl else 2**256 - 1)  # chain time, not wall time
            message["deadline"] = max(int(message["deadline"]), 0)
        data = self.typed_data_for(action, message)
        signature = account.sign_message(td.signable(data)).signature
        return SignedAction(action, account.address, data, bytes(signature))

    def next_nonce(self, action: str, signer: str) -> int:
        """An unused nonce, packed densely (lowest free bit of the lowest non-full word), never handed
        out twice by this client, so that consuming it on-chain costs a warm write."""
        role = td.ACTION_DOMAINS[action][0]
        contract = self.contracts[role]
        taken = self._handed_out.setdefault((role, signer), set())
        word = 0
        while True:
            bitmap = int(contract.functions.nonceBitmap(signer, word).call())
            bit = lowest_free_bit(bitmap, {n & 0xFF for n in taken if n >> 8 == word})
            if bit is not None:
                nonce = word << 8 | bit
                taken.add(nonce)
                return nonce
            word += 1

    def by_sig_call(self, signed: SignedAction) -> Any:
        """The contract call that carries out a signed action (anyone may send it)."""
        m = signed.message
        sig = signed.signature
        if signed.action == "Join":
            return self.membership.functions.joinBySig(m["member"], m["generation"], m["nonce"], m["deadline"], sig)
        if signed.action == "Leave":
            return self.membership.functions.leaveBySig(m["member"], m["generation"], m["nonce"], m["deadline"], sig)
        if signed.action == "Submit":
            return self.registry.functions.submitBySig(
                m["author"], _bytes(m["cid"]), _bytes(m["contentHash"]), m["effort"], _bytes(m["salt"]),
                m["nonce"], m["deadline"], sig,
            )  # fmt: skip
        if signed.action == "SealedReview":
            return self.registry.functions.sealReviewBySig(
                m["reviewer"], m["contribution"], _bytes(m["sealed"]), m["nonce"], m["deadline"], sig
            )
        if signed.action == "ClaimTo":
            return self.splitter.functions.claimToBySig(
                m["member"], m["token"], m["to"], m["nonce"], m["deadline"], sig
            )
        if signed.action == "ClaimIncarnationTo":
            return self.splitter.functions.claimIncarnationToBySig(
                m["member"], m["token"], m["incarnation"], m["to"], m["nonce"], m["deadline"], sig
            )
        if signed.action == "Ballot":
            return self.contracts["governor"].functions.castVoteBySig(m["proposalId"], m["support"], m["voter"], sig)
        if signed.action == "RegisterHost":
            endpoint = _bytes(m["endpoint"])
            return self.grid.functions.registerHostBySig(m["host"], endpoint, m["nonce"], m["deadline"], sig)
        if signed.action == "UnregisterHost":
            return self.grid.functions.unregisterHostBySig(m["host"], m["nonce"], m["deadline"], sig)
        if signed.action == "SealCheck":
            return self.grid.functions.sealCheckBySig(
                m["checker"], m["epoch"], m["host"], _bytes(m["sealed"]), m["nonce"], m["deadline"], sig
            )
        raise ValueError(f"unknown action {signed.action!r}")

    def submit_signed(self, sender: LocalAccount, signed: SignedAction) -> Any:
        """Sends a signed action from `sender`, who pays the gas; it acts for the signer. A Submit's
        commitment is posted first if nobody has posted it yet."""
        if signed.action == "Submit":
            self.commit_once(sender, signed.commitment)
        return self._send(sender, self.by_sig_call(signed))

    def is_committed(self, commitment_: bytes) -> bool:
        """Whether a commitment is posted and not yet revealed."""
        return int(self.registry.functions.commitment(commitment_).call()[1]) != 0

    def nonce_used(self, action: str, signer: str, nonce: int) -> bool:
        role = td.ACTION_DOMAINS[action][0]
        return bool(self.contracts[role].functions.nonceUsed(signer, nonce).call())

    # ----------------------------------------------------------------- queries

    def points_of(self, member: str) -> int:
        """`member`'s points now: awarded for reviewed work, they share the revenue."""
        return int(self.splitter.functions.pointsOf(member).call())

    def standing_of(self, member: str) -> int:
        """`member`'s standing now: their points plus any genesis standing (a founder's, which earns
        nothing), what their reviews and votes weigh."""
        return self.standing(member, 0)[1]

    def claimable(self, member: str, token: str = ETH) -> int:
        return int(self.splitter.functions.claimable(member, token).call())

    def is_active(self, member: str) -> bool:
        return bool(self.membership.functions.isActive(member).call())

    def generation(self, member: str) -> int:
        """How many times `member` joined or left: a signed Join/Leave names it."""
        return int(self.membership.functions.generation(member).call())

    def standing(self, member: str, time: int) -> tuple[int, int]:
        """`member`'s standing (points plus genesis) at the end of second `time` (past) and now."""
        then, current = self.splitter.functions.standing(member, time).call()
        return int(then), int(current)

    def review_weight(self, member: str, c: dict[str, Any]) -> int:
        """What `member`'s review of contribution `c` (as `contribution` returns it) weighs: the lesser
        of their points at its two snapshots (the second before it was submitted, and as its epoch
        began: points awarded within an epoch weigh from the next one)."""
        return min(self.standing(member, c["snapshot"])[0], self.standing(member, c["epochSnapshot"])[0])

    def review_budget(self, reviewer: str, contribution: int, stars: int) -> tuple[int, int, int]:
        """Whether a rating of `stars` on `contribution` could be opened, asked before it is sealed:
        (the epoch it will open in, taken to be the one its window closes in, as `reveal_due`, `todo`
        and the relay open it; the star-minutes the reviewer's approval budget will have spent in that
        epoch once it opens: what the desk has spent, every rating of theirs this client holds that is
        still sealed and opens in that epoch, and this one; the budget of this rating's weight, in
        star-minutes). Spent over budget, the contract refuses the opening: the rating counts as no
        review and, left sealed, forfeits the reviewer's review pay of that epoch."""
        from starfish_dao.domain.review_budget import budget_of, held_elsewhere, spend_when_opened

        c = self.contribution(contribution)
        epoch_at = self.charter.functions.epochAt
        opens_in = int(epoch_at(int(c["reviewDeadline"]) + 1).call())
        held = []
        for o in held_elsewhere(self.openings.of(), reviewer, contribution):
            if int.from_bytes(self.registry.functions.sealedRating(o.contribution, reviewer).call(), "big") >> 112 == 0:
                continue  # opened already (or never sealed): spent on the desk, or never to be
            other = self.contribution(o.contribution)
            if int(epoch_at(int(other["reviewDeadline"]) + 1).call()) == opens_in:
                held.append((int(other["effort"]), o.stars))
        spent = spend_when_opened(int(self.desk(reviewer, opens_in)["spent"]), held, int(c["effort"]), stars)
        budget_bps = int(self.charter.functions.reviewRules().call()[2])
        return opens_in, spent, budget_of(self.review_weight(reviewer, c), budget_bps)

    def contribution(self, contribution: int) -> dict[str, Any]:
        c = self.registry.functions.contribution(contribution).call()
        author, effort, deadline, snapshot, epoch_snapshot, min_reviewers, status, quorum_weight, sealed_count = c
        reviewers = int(self.registry.functions.reviewCount(contribution).call())
        return {
            "id": contribution,
            "author": author,
            "effort": effort,
            "reviewDeadline": deadline,
            "snapshot": snapshot,
            "epochSnapshot": epoch_snapshot,
            "reviewers": reviewers,
            "minReviewers": min_reviewers,
            "quorumWeight": quorum_weight,
            "sealedReviews": sealed_count,
            "status": STATUSES[status],
            "tally": list(self.registry.functions.tally(contribution).call()),
        }

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    # ----------------------------------------------------------------- events

    def _decoders(self) -> dict[tuple[str, bytes], EventDecoder]:
        """One decoder per (address, topic), built once per set of contracts (a poller reads logs
        many times a second)."""
        key = tuple((role, c.address) for role, c in self.contracts.items())
        cached: tuple[Any, dict[tuple[str, bytes], EventDecoder]] | None = getattr(self, "_decoder_table", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        table: dict[tuple[str, bytes], EventDecoder] = {}
        for role, contract in self.contracts.items():
            for item in contract.abi:
                if item.get("type") == "event":
                    decoder = EventDecoder(role, dict(item))
                    table[(contract.address.lower(), decoder.topic)] = decoder
        self._decoder_table = (key, table)
        return table

    def logs(
        self,
        from_block: int | None = None,
        to_block: int | None = None,
        progress: Callable[[int], None] | None = None,
        chunk: int = LOG_CHUNK,
        ranges: LogRanges | None = None,
        ahead: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every Starfish event in chain order, decoded, with its block's timestamp (the log's own
        `blockTimestamp` where the node gives it, else read from the block). `ranges`: the log
        ranges' sizes, kept by a caller that reads again and again (`chain/logs.py`). `ahead`: the
        next range is read while this one is decoded (a long replay: `starfish verify`)."""
        start = self.deployment.deploy_block if from_block is None else from_block
        end = int(self.w3.eth.block_number) if to_block is None else to_block
        table = self._decoders()
        addresses = [c.address for c in self.contracts.values()]
        rpc = RawRpc(self.w3)
        pending: list[dict[str, Any]] = []

        def flush() -> Iterator[dict[str, Any]]:
            times = rpc.timestamps(sorted({e["block"] for e in pending if e["timestamp"] is None}))
            for event in pending:
                if event["timestamp"] is None:
                    event["timestamp"] = times[event["block"]]
                yield event
            pending.clear()

        for log in fetch_logs(self.w3, addresses, start, end, chunk, progress, ranges, ahead):
            decoder = table.get((log["address"], log["topics"][0] if log["topics"] else b""))
            if decoder is None:
                continue
            pending.append({
                "contract": decoder.role,
                "event": decoder.name,
                "args": decoder.decode(log["topics"], log["data"]),
                "block": log["blockNumber"],
                "log_index": log["logIndex"],
                "tx": log["transactionHash"],
                "timestamp": log["blockTimestamp"],
            })  # fmt: skip
            if len(pending) >= 5000:
                yield from flush()
        yield from flush()


_CHECKSUMS: dict[bytes, str] = {}


def _checksum(raw20: bytes) -> str:
    address = _CHECKSUMS.get(raw20)
    if address is None:
        address = _CHECKSUMS[raw20] = checksum("0x" + raw20.hex())
    return address


class EventDecoder:
    """Decodes one event's logs with eth_abi directly (web3's decoder costs ~10x more per log)."""

    def __init__(self, role: str, abi: dict[str, Any]) -> None:
        self.role = role
        self.name = str(abi["name"])
        self.topic = bytes(event_abi_to_log_topic(abi))  # type: ignore[arg-type]
        self.indexed = [(i["name"], i["type"]) for i in abi["inputs"] if i["indexed"]]
        self.plain_names = [i["name"] for i in abi["inputs"] if not i["indexed"]]
        self.plain_types = [i["type"] for i in abi["inputs"] if not i["indexed"]]
        self.order = [i["name"] for i in abi["inputs"]]
        # events of one-word values (most of them) are read word by word, without eth_abi's layers;
        # so are those with `bytes` among them (a rating's comment, a submission's CID) when they are
        # encoded canonically (each tail right after the last, padded with zeros), which is how
        # Solidity emits them: anything else is eth_abi's to read or refuse
        self.static = all(_static_word(t) for t in self.plain_types)
        self.words = all(_static_word(t) or t == "bytes" for t in self.plain_types)

    def decode(self, topics: list[bytes], data: bytes) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for (name, typ), topic in zip(self.indexed, topics[1:], strict=True):
            if typ == "address":
                args[name] = _checksum(topic[12:])
            elif typ == "bool":
                args[name] = topic[-1] == 1
            elif typ.startswith("uint") or typ.startswith("int"):
                args[name] = int.from_bytes(topic, "big", signed=typ.startswith("int"))
            else:
                args[name] = topic
        if self.static and len(data) == 32 * len(self.plain_types):
            try:
                for i, (name, typ) in enumerate(zip(self.plain_names, self.plain_types, strict=True)):
                    args[name] = _word(typ, data[32 * i : 32 * i + 32])
                return {name: args[name] for name in self.order}
            except ValueError:
                pass  # malformed: eth_abi below says how
        elif self.words:
            try:
                tail = 32 * len(self.plain_types)  # where the next canonical tail starts
                for i, (name, typ) in enumerate(zip(self.plain_names, self.plain_types, strict=True)):
                    word = data[32 * i : 32 * i + 32]
                    if typ != "bytes":
                        args[name] = _word(typ, word)
                        continue
                    if len(word) != 32 or int.from_bytes(word, "big") != tail or tail + 32 > len(data):
                        raise ValueError("not a canonical offset")
                    length = int.from_bytes(data[tail : tail + 32], "big")
                    end, padded = tail + 32 + length, tail + 32 + -(-length // 32) * 32
                    if padded > len(data) or any(data[end:padded]):
                        raise ValueError("not canonical padding")
                    args[name] = data[tail + 32 : end]
                    tail = padded
                if tail == len(data):
                    return {name: args[name] for name in self.order}
            except ValueError:
                pass  # not canonical, or malformed: eth_abi below reads it or says how
        for name, typ, value in zip(self.plain_names, self.plain_types, decode(self.plain_types, data), strict=True):
            if typ == "address":
                value = _checksum(bytes.fromhex(value[2:]))
            elif typ == "address[]":
                value = [_checksum(bytes.fromhex(v[2:])) for v in value]
            args[name] = value
        return {name: args[name] for name in self.order}


def _static_word(typ: str) -> bool:
    return typ in ("address", "bool", "bytes32") or (
        (typ.startswith("uint") or typ.startswith("int")) and not typ.endswith("]")
    )


def _word(typ: str, word: bytes) -> Any:
    """One ABI word of a static type, as eth_abi (with checksummed addresses) decodes it."""
    if typ == "address":
        if any(word[:12]):
            raise ValueError("an address word with high bytes set")
        return _checksum(word[12:])
    if typ == "bool":
        if any(word[:31]) or word[31] > 1:
            raise ValueError("a bool word that is neither 0 nor 1")
        return word[31] == 1
    if typ == "bytes32":
        return word
    signed = typ.startswith("int")
    bits = int(typ[4 if signed is False else 3 :] or 256)
    value = int.from_bytes(word, "big", signed=signed)
    if not (-(2 ** (bits - 1)) <= value < 2 ** (bits - 1) if signed else value < 2**bits):
        raise ValueError(f"{value} does not fit {typ}")
    return value


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes.fromhex(str(value).removeprefix("0x"))
