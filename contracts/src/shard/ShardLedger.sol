// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {OpmlGame} from "../opml/OpmlGame.sol";
import {OpmlModels} from "../opml/OpmlModels.sol";

/// @notice sharded model {shardedId} is not registered
/// @dev Raised when a request, announcement or lookup names a sharded model id ShardLedger does not know.
error UnknownSharded(bytes32 shardedId);
/// @notice sharded model {shardedId} is already registered
/// @dev Raised when the same shards and cuts are registered twice.
error ShardedAlreadyRegistered(bytes32 shardedId);
/// @notice {cuts} cuts (or route entries) do not fit {shards} shards
/// @dev Raised when a registration has not one cut fewer than shards, or a route has not one node per shard.
error InvalidShardCuts(uint256 cuts, uint256 shards);
/// @notice sharded request {id} does not exist
/// @dev Raised when a call names a sharded request id never made.
error UnknownShardRequest(uint256 id);
/// @notice sharded request {id} has ended (final or expired)
/// @dev Raised when a post, dispute, bind, resolve or expire names a request that is final or expired.
error ShardRequestNotOpen(uint256 id);
/// @notice request {id}: shard {shard} is not the one to post or dispute (next: {next})
/// @dev Raised when a boundary is posted out of order, or a dispute names a boundary not posted.
error ShardOutOfOrder(uint256 id, uint256 shard, uint256 next);
/// @notice request {id}: shard {shard} is routed to another node than {node}, whose time has not run out
/// @dev Raised when a node posts a boundary routed to another node before the stall blocks passed.
error NotRoutedNode(uint256 id, uint256 shard, address node);
/// @notice bond {value} wei is below {bond} wei
/// @dev Raised when a post or dispute carries less than the ledger's bond.
error ShardBondTooLow(uint256 value, uint256 bond);
/// @notice fee {value} wei is below the minimum {minFee} wei
/// @dev Raised when a sharded request pays less than the minimum fee.
error ShardFeeTooLow(uint256 value, uint256 minFee);
/// @notice request {id} has a dispute open
/// @dev Raised when a post or a second dispute comes while a boundary of the request is disputed.
error ShardDisputeOpen(uint256 id);
/// @notice request {id} has no dispute waiting for a claim
/// @dev Raised when bind is called with no open, unbound dispute.
error NoShardDispute(uint256 id);
/// @notice request {id}: the dispute window has closed
/// @dev Raised when a dispute comes after the window that follows the last boundary.
error ShardWindowClosed(uint256 id);
/// @notice claim {claimId} does not stand for the disputed boundary of request {id}
/// @dev Raised when a bound claim is not the poster's, not on the shard's model, not from the agreed boundary to the post, or not pending.
error ShardClaimMismatch(uint256 id, uint256 claimId);
/// @notice request {id} cannot be resolved yet
/// @dev Raised when resolve comes before the bind window, the shard claim's end, or the final window.
error ShardNotResolvable(uint256 id);
/// @notice {account} has no credit in the shard ledger
/// @dev Raised when withdraw is called with nothing to withdraw.
error NoShardCredit(address account);
/// @notice request {id} cannot expire before block {fromBlock}
/// @dev Raised when expire comes within `expiry` blocks of the request's last activity (made, a post, a dispute opened, bound or resolved).
error ShardNotExpirable(uint256 id, uint256 fromBlock);
/// @notice request {id} has every boundary posted: it ends through resolve, not expire
/// @dev Raised when expire names a request whose last boundary is posted (final after the dispute window).
error ShardAllPosted(uint256 id);
/// @notice request {id}: {node} lost a dispute on it and may not post again
/// @dev Raised when a node that lost a boundary dispute posts on the same request.
error BannedShardNode(uint256 id, address node);

/// Sharded inference (issue 22, Nesa): a model registered as K shard programs (each an OpmlModels model,
/// cut from one whole program at fixed steps), a request served through a pipeline of nodes, one per
/// shard, each posting the tensor root of its output boundary (the tensors travel off chain through a
/// content-addressed store; the next node checks them against these roots).
///
/// Accountability is per boundary: a post is its node's bonded claim "shard j on boundary j-1 gives this
/// root". A challenger disputes post j (`dispute`); the poster must then bind an OpmlGame claim on shard
/// j's model whose input root is boundary j-1 and whose output root is its post (`bind`: only that
/// shard's input goes on chain), and the ordinary opML game over that shard's steps decides: a rejected
/// claim (or no binding within `bindWindow` blocks) voids post j and every later one (re-served from j
/// by any node holding the shard, the loser excluded), its bond half to the challenger and half to the
/// requester (a liar's own sybil winning the dispute still costs it half a bond); a final claim pays
/// the challenger's bond to the node. With every boundary root on chain the shard in dispute is named
/// in one move; the game inside it is the opML game unchanged.
///
/// Routing is the requester's (capacity and recent latency: verifiers/shard/routing.py): post j is the
/// routed node's for `stall` blocks after the last progress, then any node's (a missing or slow node is
/// routed around). A request with all K posts and no dispute for `window` blocks is final: its output is
/// post K; the fee is split among the posting nodes and their bonds are returned. A dispute the poster wins
/// restarts that window (it held the one dispute slot: a challenger of another post could not dispute).
///
/// A request nobody serves any more ends by `expire` (anyone): open, no dispute open, not every boundary
/// posted, and more than `expiry` blocks since its last activity (made, a post, a dispute opened, bound or
/// resolved). It becomes EXPIRED: each standing post gets its bond back and its share of the fee (fee / K, as a
/// final request pays it: the requester, who picks the route and can read every posted boundary, must not get
/// shards 1..j computed for free by routing shard j+1 to nobody), and the requester the rest of the fee.
contract ShardLedger {
    bytes internal constant TAG = "TRIBUNAL/SHARDS/1";
    uint8 internal constant OPEN = 1;
    uint8 internal constant FINAL = 2;
    uint8 internal constant EXPIRED = 3;
    uint8 internal constant CLAIM_FINAL = 1;
    uint8 internal constant CLAIM_REJECTED = 2;

    struct Sharded {
        bytes32 fullId; // the whole program's model id (compression steps included)
        bytes32[] shardIds; // each shard's OpmlModels id, in order
        uint32[] cuts; // steps of the whole program after which a shard ends
        address owner;
    }

    struct Post {
        address node;
        bytes32 root; // tensor root of the boundary (post 0: the request input's)
        uint64 blockNumber;
        uint32 millis; // the node's reported compute time (informational: routing reads it)
    }

    struct Request {
        address requester;
        uint96 fee; // packed with the requester: lastActivity fits in the status slot
        bytes32 shardedId;
        uint8 status;
        uint8 posted; // boundaries posted after the input
        uint64 lastProgress; // block of the last post, or of a dispute the poster won (0: anyone may post)
        uint64 doneBlock; // block of post K (0 while the pipeline runs)
        uint64 lastActivity; // block it was made, posted to, or a dispute opened, bound or resolved (expiry)
        address[] route; // the routed node per shard
    }

    struct Dispute {
        address challenger;
        uint8 shard; // the disputed post
        bool open;
        bool bound;
        uint64 opened;
        uint256 claimId; // the node's OpmlGame claim for that shard
    }

    OpmlGame public immutable game;
    OpmlModels public immutable models;
    uint256 public immutable bond; // per post and per dispute
    uint256 public immutable minFee;
    uint64 public immutable window; // blocks after post K in which posts may be disputed
    uint64 public immutable stall; // blocks the routed node has for its post before anyone may post
    uint64 public immutable bindWindow; // blocks a disputed node has to bind its shard claim
    uint64 public immutable expiry; // blocks without activity after which anyone may expire a request

    uint256 public nextRequestId = 1;
    mapping(bytes32 => Sharded) private _sharded;
    mapping(uint256 => Request) private _requests;
    mapping(uint256 => mapping(uint256 => Post)) private _posts;
    mapping(uint256 => Dispute) private _disputes;
    mapping(uint256 => mapping(address => bool)) public banned; // lost a dispute on this request
    mapping(address => uint256) public credit;

    event ShardedRegistered(bytes32 indexed shardedId, bytes32 fullId, uint32[] cuts, bytes32[] shardIds,
        string model, uint32[] inputShape);
    event ShardNodeAnnounced(address indexed node, bytes32 indexed shardedId, uint256 shards, uint64 memoryBytes,
        uint64 stepsPerSecond);
    event ShardRequested(uint256 indexed id, bytes32 indexed shardedId, bytes32 inputRoot, bytes input,
        address[] route, uint256 fee);
    event BoundaryPosted(uint256 indexed id, uint256 shard, bytes32 root, address node, uint32 millis);
    event BoundaryDisputed(uint256 indexed id, uint256 shard, address challenger);
    event BoundaryBound(uint256 indexed id, uint256 shard, uint256 claimId);
    event BoundaryDisputeResolved(uint256 indexed id, uint256 shard, address winner, bool voided);
    event ShardRequestFinal(uint256 indexed id, bytes32 outputRoot);
    event ShardRequestExpired(uint256 indexed id, uint256 refund);

    constructor(OpmlGame game_, uint256 bond_, uint256 minFee_, uint64 window_, uint64 stall_, uint64 bindWindow_,
        uint64 expiry_) {
        game = game_;
        models = game_.models();
        bond = bond_;
        minFee = minFee_;
        window = window_;
        stall = stall_;
        bindWindow = bindWindow_;
        expiry = expiry_;
    }

    // ------------------------------------------------------------------ registration

    /// Registers a model cut into shards; `model` and `inputShape` say how nodes rebuild it (they check
    /// the id they compute against this one).
    function register(bytes32 fullId, uint32[] calldata cuts, bytes32[] calldata shardIds, string calldata model,
        uint32[] calldata inputShape) external returns (bytes32 shardedId) {
        // INVARIANT: K shards have K - 1 cuts.
        if (shardIds.length == 0 || shardIds.length != cuts.length + 1 || shardIds.length > 255) {
            revert InvalidShardCuts(cuts.length, shardIds.length);
        }
        bytes memory data = abi.encodePacked(TAG, fullId, uint32(shardIds.length));
        for (uint256 i; i < cuts.length; ++i) data = abi.encodePacked(data, cuts[i]);
        for (uint256 i; i < shardIds.length; ++i) {
            models.model(shardIds[i]); // INVARIANT: every shard is a registered opML model (UnknownModel)
            data = abi.encodePacked(data, shardIds[i]);
        }
        shardedId = sha256(data);
        if (_sharded[shardedId].owner != address(0)) revert ShardedAlreadyRegistered(shardedId);
        _sharded[shardedId] = Sharded(fullId, shardIds, cuts, msg.sender);
        emit ShardedRegistered(shardedId, fullId, cuts, shardIds, model, inputShape);
    }

    /// A node declares the shards it serves (bit j-1 for shard j) and its capacity.
    function announce(bytes32 shardedId, uint256 shards, uint64 memoryBytes, uint64 stepsPerSecond) external {
        _known(shardedId);
        emit ShardNodeAnnounced(msg.sender, shardedId, shards, memoryBytes, stepsPerSecond);
    }

    function sharded(bytes32 shardedId) external view returns (Sharded memory) {
        return _known(shardedId);
    }

    // ------------------------------------------------------------------ serving

    function request(bytes32 shardedId, bytes calldata input, address[] calldata route) external payable
        returns (uint256 id) {
        Sharded storage s = _known(shardedId);
        if (msg.value < minFee) revert ShardFeeTooLow(msg.value, minFee);
        if (route.length != s.shardIds.length) revert InvalidShardCuts(route.length, s.shardIds.length);
        // INVARIANT: boundary 0 is the input's tensor root, as shard 1's model derives it (InvalidInput).
        (bytes32 inputRoot,) = models.initialState(s.shardIds[0], input);
        id = nextRequestId++;
        Request storage r = _requests[id];
        r.requester = msg.sender;
        r.shardedId = shardedId;
        r.fee = uint96(msg.value);
        r.status = OPEN;
        r.lastProgress = uint64(block.number);
        r.lastActivity = uint64(block.number);
        r.route = route;
        _posts[id][0] = Post(msg.sender, inputRoot, uint64(block.number), 0);
        emit ShardRequested(id, shardedId, inputRoot, input, route, msg.value);
    }

    /// Posts boundary `shard` (1..K): the tensor root of that shard's output on boundary shard-1, bonded.
    function post(uint256 id, uint256 shard, bytes32 root, uint32 millis) external payable {
        Request storage r = _open(id);
        // INVARIANT: no post while a dispute may void the pipeline below it.
        if (_disputes[id].open) revert ShardDisputeOpen(id);
        // INVARIANT: boundaries are posted in order, each once.
        if (shard != uint256(r.posted) + 1 || shard > r.route.length) revert ShardOutOfOrder(id, shard, r.posted + 1);
        if (msg.value < bond) revert ShardBondTooLow(msg.value, bond);
        // what was sent over the bond is the sender's, not the ledger's
        if (msg.value > bond) credit[msg.sender] += msg.value - bond;
        if (banned[id][msg.sender]) revert BannedShardNode(id, msg.sender);
        // INVARIANT: the routed node posts, unless it let `stall` blocks pass (then any node: re-routing).
        if (r.route[shard - 1] != msg.sender && block.number <= uint256(r.lastProgress) + stall) {
            revert NotRoutedNode(id, shard, msg.sender);
        }
        _posts[id][shard] = Post(msg.sender, root, uint64(block.number), millis);
        r.posted = uint8(shard);
        r.lastProgress = uint64(block.number);
        r.lastActivity = uint64(block.number);
        if (shard == r.route.length) r.doneBlock = uint64(block.number);
        emit BoundaryPosted(id, shard, root, msg.sender, millis);
    }

    // ------------------------------------------------------------------ disputes

    /// Disputes post `shard`: the challenger says shard `shard` on boundary shard-1 does not give its root.
    function dispute(uint256 id, uint256 shard) external payable {
        Request storage r = _open(id);
        if (_disputes[id].open) revert ShardDisputeOpen(id);
        if (shard == 0 || shard > r.posted) revert ShardOutOfOrder(id, shard, r.posted);
        if (r.doneBlock != 0 && block.number > uint256(r.doneBlock) + window) revert ShardWindowClosed(id);
        if (msg.value < bond) revert ShardBondTooLow(msg.value, bond);
        // what was sent over the bond is the sender's, not the ledger's
        if (msg.value > bond) credit[msg.sender] += msg.value - bond;
        _disputes[id] = Dispute(msg.sender, uint8(shard), true, false, uint64(block.number), 0);
        r.lastActivity = uint64(block.number);
        emit BoundaryDisputed(id, shard, msg.sender);
    }

    /// The disputed node names its OpmlGame claim on the shard: input boundary shard-1, output its post.
    function bind(uint256 id, uint256 claimId) external {
        Request storage r = _open(id);
        Dispute storage d = _disputes[id];
        if (!d.open || d.bound) revert NoShardDispute(id);
        Post storage p = _posts[id][d.shard];
        OpmlGame.Claim memory c = game.claim(claimId);
        // INVARIANT: the claim is the poster's own, on this shard's model, from the agreed boundary to its post,
        // pending and made for this dispute: the opML game over the shard's steps then decides the post.
        if (c.defender != msg.sender || p.node != msg.sender || c.modelId != _sharded[r.shardedId].shardIds[d.shard - 1]
            || c.inputRoot != _posts[id][d.shard - 1].root || c.outputRoot != p.root || c.status != 0
            || c.created < d.opened) revert ShardClaimMismatch(id, claimId);
        d.bound = true;
        d.claimId = claimId;
        r.lastActivity = uint64(block.number);
        emit BoundaryBound(id, d.shard, claimId);
    }

    /// Ends the open dispute (by its shard claim's fate, or the bind timeout), or makes a request final.
    function resolve(uint256 id) external returns (bool isFinal) {
        Request storage r = _open(id);
        Dispute storage d = _disputes[id];
        if (d.open) {
            if (!d.bound) {
                if (block.number <= uint256(d.opened) + bindWindow) revert ShardNotResolvable(id);
                _challengerWins(id, r, d);
                return false;
            }
            uint8 status = game.claim(d.claimId).status;
            if (status == CLAIM_REJECTED) {
                _challengerWins(id, r, d);
            } else if (status == CLAIM_FINAL) {
                d.open = false;
                credit[_posts[id][d.shard].node] += bond; // the challenger's bond
                // INVARIANT: the window is `window` blocks in which anybody may dispute: a dispute held the
                // request's one dispute slot (a sybil's on an honest post, to shut out the challengers of a
                // lie), so the window starts again when it ends.
                if (r.doneBlock != 0) r.doneBlock = uint64(block.number);
                // INVARIANT: nobody could post while the dispute was open: the routed node's stall starts again.
                r.lastProgress = uint64(block.number);
                r.lastActivity = uint64(block.number);
                emit BoundaryDisputeResolved(id, d.shard, _posts[id][d.shard].node, false);
            } else {
                revert ShardNotResolvable(id);
            }
            return false;
        }
        // INVARIANT: final only with every boundary posted and the dispute window passed.
        if (r.doneBlock == 0 || block.number <= uint256(r.doneBlock) + window) revert ShardNotResolvable(id);
        r.status = FINAL;
        uint256 k = r.route.length;
        for (uint256 j = 1; j <= k; ++j) credit[_posts[id][j].node] += bond + r.fee / k;
        // the split's remainder (fee mod K) is the requester's: nothing stays in the ledger unowned
        if (r.fee % k != 0) credit[r.requester] += r.fee % k;
        emit ShardRequestFinal(id, _posts[id][k].root);
        return true;
    }

    /// Ends a request nobody serves any more (contract doc): the fee back to the requester, the bonds of the
    /// standing posts back to their nodes.
    function expire(uint256 id) external {
        Request storage r = _open(id);
        // INVARIANT: a dispute in course ends through resolve (the bind window or the shard claim's game).
        if (_disputes[id].open) revert ShardDisputeOpen(id);
        // INVARIANT: with every boundary posted the request is final after the window (resolve), not expired.
        if (r.doneBlock != 0) revert ShardAllPosted(id);
        // INVARIANT: only after `expiry` blocks in which nobody posted, disputed, bound or resolved.
        uint256 from = uint256(r.lastActivity) + expiry + 1;
        if (block.number < from) revert ShardNotExpirable(id, from);
        r.status = EXPIRED;
        uint256 share = r.fee / r.route.length;
        // INVARIANT: each standing post (not shown wrong) is paid as a final request pays it, its bond back and
        // fee / K; only the unserved shards' part of the fee goes back to the requester.
        for (uint256 j = 1; j <= r.posted; ++j) credit[_posts[id][j].node] += bond + share;
        uint256 refund = r.fee - share * r.posted;
        credit[r.requester] += refund;
        emit ShardRequestExpired(id, refund);
    }

    function _challengerWins(uint256 id, Request storage r, Dispute storage d) private {
        uint256 j = d.shard;
        address loser = _posts[id][j].node;
        // INVARIANT: a void costs its loser half a bond whoever disputed it (its own sybil included): the
        // challenger gets its bond and half the loser's, the requester whose request the lie delayed the rest.
        credit[d.challenger] += bond + bond / 2;
        credit[r.requester] += bond - bond / 2;
        banned[id][loser] = true;
        // posts after j were computed from a voided boundary, not their nodes' fault: their bonds go back
        for (uint256 i = j + 1; i <= r.posted; ++i) credit[_posts[id][i].node] += bond;
        for (uint256 i = j; i <= r.posted; ++i) delete _posts[id][i];
        r.posted = uint8(j - 1);
        r.doneBlock = 0;
        r.lastProgress = 0; // re-served by any node holding shard j
        r.lastActivity = uint64(block.number); // the expiry clock restarts: the request is served again from j
        d.open = false;
        emit BoundaryDisputeResolved(id, j, d.challenger, true);
    }

    function withdraw() external {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NoShardCredit(msg.sender);
        credit[msg.sender] = 0;
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        if (!ok) credit[msg.sender] = amount;
    }

    // ------------------------------------------------------------------ views

    function requestOf(uint256 id) external view returns (Request memory) {
        if (_requests[id].status == 0) revert UnknownShardRequest(id);
        return _requests[id];
    }

    function postOf(uint256 id, uint256 shard) external view returns (Post memory) {
        return _posts[id][shard];
    }

    function disputeOf(uint256 id) external view returns (Dispute memory) {
        return _disputes[id];
    }

    function _known(bytes32 shardedId) private view returns (Sharded storage s) {
        s = _sharded[shardedId];
        if (s.owner == address(0)) revert UnknownSharded(shardedId);
    }

    function _open(uint256 id) private view returns (Request storage r) {
        r = _requests[id];
        if (r.status == 0) revert UnknownShardRequest(id);
        if (r.status != OPEN) revert ShardRequestNotOpen(id);
    }
}
