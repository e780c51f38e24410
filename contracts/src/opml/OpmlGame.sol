// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {
    UnknownClaim, UnknownGame, InsufficientBond, InvalidClaim, ChallengeWindowClosed, ClaimNotFinalizable,
    ClaimNotFinal, NotYourTurn, WrongPhase, InvalidMove, ClockTimeExceeded, ClockNotExpired, GameOver, InvalidProof,
    InvalidPrestate, NothingToClaim, InvalidConfig, ClaimPending, UnauthorizedCaller, WrongNodeKind, VotePending
} from "../Errors.sol";
import {IJuryGame, VERDICT_WITHIN, VERDICT_EXACT} from "./IJury.sol";
import {IOneStep} from "../onestep/IOneStep.sol";
import {ResultDelivery} from "../ResultDelivery.sol";
import {OpmlModels} from "./OpmlModels.sol";
import {LibMerkle} from "./LibMerkle.sol";
import {LibProgram} from "./LibProgram.sol";
import {IFloatStep, NodePost, ONNX_NODE} from "./IFloatStep.sol";
import {FloatStep, disputedNode} from "./FloatStep.sol";
import {Position, Clock, TreeNode, Phase, LibPosition, LibTreeNode, NOBODY, DEFENDER, CHALLENGER, otherSide}
    from "./GameTypes.sol";

/// @notice opML on chain: optimistic claims and the bisection game that refutes a wrong one.
/// The rules are bisection/arbiter.py's, check by check, with the same error names as
/// bisection/memory.py (MemoryArbiter). Time is counted in blocks: challenge windows and chess clocks.
///
/// Claims. A defender posts (model, input, S_N, output root with its path in S_N) and a bond; S_0 is
/// derived here from the model and the input, and the input's tensor root and sha256 are stored. The
/// claim is final after `window` blocks with no game open (`resolveClaim`: the bond back, then the
/// consumer's callback through ResultDelivery, which reverts rather than starve it of gas); `result`
/// reverts until then. A claim whose game the challenger wins is rejected at once, in O(1): the
/// defender's bond and the game's bonds go to that challenger. The claim's other open games take no
/// more moves; each is ended by `closeGame`, which gives each side its own bonds back (lazy
/// settlement: no move's gas depends on how many games a claim has).
///
/// Bonds. Every move is bonded, as in Optimism's FaultDisputeGame: the move that takes a game to depth
/// d (d = moves made before it; the open is depth 0) carries at least bondAt(d) = minBond * g^d
/// (g = bondGrowth / 10000, d capped at MAX_BOND_DEPTH), and the game's winner takes every bond of the
/// game. The floor minBond >= MOVE_GAS * gasPrice makes each bond pay for the costliest answer it can
/// force (a one-step proof, or a move and the timeout claim): see contracts/README.md, "Threat model".
///
/// Games. Anyone but the defender opens a game with a bond (several per claim). Level one bisects
/// (lo, hi] over steps; level two descends the disputed output tensor's tree, `stride` levels per
/// reveal; `postOutput` links them: the output root is the disputed node's output slot in S_hi, and
/// S_hi is S_lo with only that slot set. `step` asks the one-step verifier (IOneStep) for one element
/// and compares it with the revealed chunk. Reveals are not stored: they travel in events, and later
/// moves re-send what they use (checked against the committed node hash).
///
/// Float steps. A step whose descriptor has op ONNX_NODE has no one-step kernel: at OUTPUT the defender
/// makes one `postNode` move (the node's inputs proven in S_lo with their bytes, and the output's bytes)
/// and pays the jury's fee; the float-step machine (IFloatStep: FloatStep, which holds the jury) checks
/// it and has the jury (NodeJury, a Brain committee) recompute that node and vote exact, within (noise)
/// or beyond the claim's tolerance. No clock runs while it votes (Phase.VOTE); `onVerdict` ends the game
/// or re-bases it (at most MAX_REBASES times per side, clocks not refilled). The game knows two step
/// machines and nothing behind them: IOneStep answers at once, IFloatStep later (through onVerdict).
contract OpmlGame is ResultDelivery, IJuryGame {
    using LibPosition for Position;
    using LibTreeNode for TreeNode;

    uint8 internal constant PENDING = 0;
    uint8 internal constant FINAL = 1;
    uint8 internal constant REJECTED = 2;
    uint256 internal constant ELEMENTS_PER_CHUNK = 512; // int16 outputs: 1024-byte chunks
    // Gas one bond must pay for: the costliest move measured by benchmarks/opml_dispute.py (a one-step
    // proof, 617k on digits-cnn) plus the timeout claim that ends a stalled game (103k), rounded up.
    uint256 public constant MOVE_GAS = 750_000;
    uint256 internal constant BPS = 10_000;
    uint256 public constant MAX_BOND_DEPTH = 64; // bonds stop growing here (no overflow, any depth)
    // Re-basing jury rounds of a float game charged to each side (WITHIN: the defender's noise; EXACT: the side
    // wrong about a correct value); one more loses the game for that side (bisection/types.py MAX_REBASES).
    // Bounds a game to 2 * MAX_REBASES + 1 jury rounds.
    uint8 public constant MAX_REBASES = 4;

    // Resolution reasons (GameResolved.reason).
    uint8 internal constant BY_STEP = 0;
    uint8 internal constant BY_TIMEOUT = 1;
    uint8 internal constant BY_REJECTION = 2;
    uint8 internal constant BY_VOTE = 3;


    struct Config {
        uint64 window; // blocks a claim stays open to challenges
        uint64 clock; // blocks each side has per game
        uint128 minBond; // wei: the claim's bond and the game's opening bond at least; bondAt(0)
        uint8 stride; // tree levels per level-two reveal
        uint32 callbackGas; // gas given to a consumer's onResult
        uint64 gasPrice; // wei per gas the bonds are priced at (the floor: minBond >= MOVE_GAS * gasPrice)
        uint32 bondGrowth; // bondAt(d + 1) = bondAt(d) * bondGrowth / 10000; 10000 (flat) to 20000
    }

    struct Claim {
        bytes32 modelId;
        bytes32 inputRoot; // the input's tensor root: the leaf folded into S_0 at the input slot
        bytes32 inputHash; // sha256 of the raw input bytes (how other protocols name the same request)
        bytes32 initialRoot; // S_0, derived on chain
        bytes32 finalRoot; // S_N, as the defender claims it
        bytes32 outputRoot; // the result: the output slot's tensor root in S_N
        address defender;
        uint64 created;
        uint32 steps;
        uint8 status;
        uint32 openGames;
        uint128 bond;
        address consumer;
        uint64 tolerance; // packed (float32 atol << 32 | float32 rtol); 0 exact: the jury's yardstick
        bool floatSteps; // the model is a float program: its steps go to the jury (postNode), never to a kernel
    }

    struct Game {
        uint64 claimId;
        address defender;
        address challenger;
        Phase phase;
        uint8 turn; // side to move (NOBODY when over)
        uint8 claimant; // side asserting rootHi
        uint8 winner;
        uint8 leafDepth; // D = log2(chunks) of the disputed output tensor
        uint8 chargedDefender; // re-basing jury rounds charged to the defender (its noise), at most MAX_REBASES
        uint8 chargedChallenger; // those charged to the challenger (it disputed a correct value), at most MAX_REBASES
        uint32 moves;
        uint32 outputSlot;
        uint64 turnSince; // block at which the side to move got the turn
        Clock clockDefender;
        Clock clockChallenger;
        uint128 challengerBond; // every bond the challenger posted in this game (the open's included)
        uint128 defenderBond; // every bond the defender posted in this game (the claim's apart)
        Position position;
        TreeNode node; // level two: the disputed tree node
        bytes32 rootLo;
        bytes32 rootHi;
        bytes32 pendingRoot; // root at position.mid awaiting a verdict (BISECT)
        bytes32 outputRoot;
        bytes32 nodeHash;
    }

    OpmlModels public immutable models;
    IOneStep public immutable verifier;
    Config public config;

    Claim[] private _claims;
    Game[] private _games;
    mapping(uint256 => uint256[]) private _claimGames;
    mapping(address => uint256) public paid; // bonds paid out to an account so far (winnings, refunds)
    mapping(address => uint256) public owed; // of which not withdrawn yet

    event ClaimSubmitted(uint256 indexed claimId, address indexed defender, bytes32 modelId, bytes32 initialRoot,
        bytes32 finalRoot, bytes32 outputRoot, uint256 bond, uint256 deadline, bytes32 inputRoot, bytes32 inputHash);
    event ClaimInput(uint256 indexed claimId, bytes input); // the claim's input: what watchers re-execute
    event ClaimFinalized(uint256 indexed claimId, bytes32 outputRoot);
    event ClaimRejected(uint256 indexed claimId, uint256 gameId);
    event GameOpened(uint256 indexed gameId, uint256 indexed claimId, address challenger, uint256 bond, bytes32 midRoot);
    event Bisected(uint256 indexed gameId, uint8 side, bool agree, bytes32 midRoot, uint256 lo, uint256 hi);
    event OutputPosted(uint256 indexed gameId, bytes32 outputRoot, uint256 slot, uint256 leafDepth, bytes32[] hashes,
        bytes chunk);
    event Picked(uint256 indexed gameId, uint256 index, uint256 depth, uint256 node);
    event TreeRevealed(uint256 indexed gameId, uint256 depth, uint256 node, bytes32[] hashes, bytes chunk);
    event Stepped(uint256 indexed gameId, uint256 element, uint256 chunk, uint256 step, int256 recomputed,
        int256 revealed);
    event Rebased(uint256 indexed gameId, uint256 step, bytes32 rootLo, uint8 charged);
    event NodePosted(uint256 indexed gameId, uint256 step, uint256 slot, bytes32 outputRoot, uint256 juryRequest);
    event GameResolved(uint256 indexed gameId, uint8 winner, uint8 reason);
    event BondPaid(address indexed account, uint256 amount);
    event BondWithdrawn(address indexed account, uint256 amount);

    uint256 internal immutable _minBond;
    uint256 internal immutable _bondGrowth;
    IFloatStep public immutable floatStep; // settles float steps; its jury is bound by this game's deployer

    constructor(OpmlModels models_, IOneStep verifier_, Config memory config_) ResultDelivery(config_.callbackGas) {
        if (config_.stride == 0 || config_.clock == 0 || config_.window == 0) revert InvalidConfig("zero stride, clock or window");
        // INVARIANT: a bond pays for the answer it forces: no 1-wei games that cost their target gas.
        if (config_.gasPrice == 0 || config_.minBond < MOVE_GAS * config_.gasPrice) {
            revert InvalidConfig("minBond is below the floor MOVE_GAS * gasPrice (or gasPrice is zero)");
        }
        if (config_.bondGrowth < BPS || config_.bondGrowth > 2 * BPS) revert InvalidConfig("bondGrowth outside 10000..20000");
        _minBond = config_.minBond;
        _bondGrowth = config_.bondGrowth;
        models = models_;
        verifier = verifier_;
        config = config_;
        floatStep = new FloatStep(msg.sender);
    }

    // ------------------------------------------------------------------ claims

    function submitClaim(
        bytes32 modelId,
        bytes calldata input,
        bytes32 finalRoot,
        bytes32 outputRoot,
        bytes32[] calldata outputProof,
        address consumer
    ) external payable returns (uint256 claimId) {
        return _submit(modelId, input, finalRoot, outputRoot, outputProof, consumer);
    }

    /// A claim on a float model: `tolerance` is how far a float step's output may be from the jury's
    /// recomputation (packed float32 atol << 32 | float32 rtol, bisection/tolerance.py).
    function submitClaimWithTolerance(
        bytes32 modelId,
        bytes calldata input,
        bytes32 finalRoot,
        bytes32 outputRoot,
        bytes32[] calldata outputProof,
        address consumer,
        uint64 tolerance
    ) external payable returns (uint256 claimId) {
        claimId = _submit(modelId, input, finalRoot, outputRoot, outputProof, consumer);
        _claims[claimId].tolerance = tolerance; // set here: one more argument to _submit is "stack too deep"
    }

    function _submit(
        bytes32 modelId,
        bytes calldata input,
        bytes32 finalRoot,
        bytes32 outputRoot,
        bytes32[] calldata outputProof,
        address consumer
    ) private returns (uint256 claimId) {
        // INVARIANT: S_0 comes from the registered model and the request input alone (UnknownModel, InvalidInput).
        (bytes32 inputRoot, bytes32 initialRoot) = models.initialState(modelId, input);
        // INVARIANT: bonds are at least the minimum, so losing always costs something.
        if (msg.value < _minBond) revert InsufficientBond(msg.value, _minBond);
        // INVARIANT: the callback can be delivered (a consumer without code would make every resolve revert).
        _checkCallback(consumer, config.callbackGas);
        OpmlModels.Model memory m = models.model(modelId);
        // INVARIANT: S_N's output slot is the claimed result (the trace's far end is pinned).
        if (outputProof.length != m.stateDepth || LibMerkle.fold(outputRoot, m.outputSlot, outputProof) != finalRoot) {
            revert InvalidClaim(m.outputSlot);
        }
        claimId = _claims.length;
        bytes32 inputHash = sha256(input);
        _claims.push(Claim(modelId, inputRoot, inputHash, initialRoot, finalRoot, outputRoot, msg.sender,
            uint64(block.number), m.steps, PENDING, 0, uint128(msg.value), consumer, 0, m.floatSteps));
        // INVARIANT: the input travels in the claim's event: watchers read it from the chain's record, never
        // from calldata (a claim sent through a contract, a proxy or a multicall is watched like any other).
        emit ClaimSubmitted(claimId, msg.sender, modelId, initialRoot, finalRoot, outputRoot, msg.value,
            block.number + config.window, inputRoot, inputHash);
        emit ClaimInput(claimId, input);
    }

    function claim(uint256 claimId) public view returns (Claim memory) {
        if (claimId >= _claims.length) revert UnknownClaim(claimId);
        return _claims[claimId];
    }

    function claimGames(uint256 claimId) external view returns (uint256[] memory) {
        claim(claimId);
        return _claimGames[claimId];
    }

    /// The claim's result, for consumer contracts: only once final.
    function result(uint256 claimId) external view returns (bytes32) {
        Claim memory c = claim(claimId);
        // INVARIANT: consumers read only final results.
        if (c.status != FINAL) revert ClaimNotFinal(claimId);
        return c.outputRoot;
    }

    /// Makes a claim final once its window passed with no open game; a no-op on a resolved claim.
    function resolveClaim(uint256 claimId) external returns (uint8 status) {
        if (claimId >= _claims.length) revert UnknownClaim(claimId);
        Claim storage c = _claims[claimId];
        if (c.status != PENDING) return c.status;
        // INVARIANT: a claim is final only after its window, with no game open.
        if (block.number < c.created + config.window || c.openGames > 0) {
            revert ClaimNotFinalizable(claimId, c.created + config.window, c.openGames);
        }
        c.status = FINAL;
        _pay(c.defender, c.bond);
        emit ClaimFinalized(claimId, c.outputRoot);
        // INVARIANT: the caller cannot finalize while starving the callback: too little gas reverts it all.
        _deliver(claimId, c.consumer, config.callbackGas, c.outputRoot);
        return FINAL;
    }

    // ------------------------------------------------------------------ games

    function openGame(uint256 claimId, bytes32 midRoot) external payable returns (uint256 gameId) {
        Claim storage c = _claims.length > claimId ? _claims[claimId] : _unknownClaim(claimId);
        // INVARIANT: games open only on a pending claim inside its window.
        if (c.status != PENDING || block.number >= c.created + config.window) {
            revert ChallengeWindowClosed(claimId, c.created + config.window);
        }
        if (msg.value < _minBond) revert InsufficientBond(msg.value, _minBond);
        gameId = _games.length;
        // INVARIANT: the defender cannot challenge its own claim.
        if (msg.sender == c.defender) revert NotYourTurn(gameId, msg.sender);
        Position pos = LibPosition.wrap(0, c.steps);
        _checkMid(gameId, pos, midRoot);
        Game storage g = _games.push();
        g.claimId = uint64(claimId);
        g.defender = c.defender;
        g.challenger = msg.sender;
        g.claimant = DEFENDER;
        g.turnSince = uint64(block.number);
        g.clockDefender = Clock.wrap(config.clock);
        g.clockChallenger = Clock.wrap(config.clock);
        g.challengerBond = uint128(msg.value);
        g.position = pos;
        g.rootLo = c.initialRoot;
        g.rootHi = c.finalRoot;
        g.moves = 1;
        if (pos.isFinal()) {
            _toOutput(g);
        } else {
            g.phase = Phase.BISECT;
            g.turn = DEFENDER;
            g.pendingRoot = midRoot;
        }
        c.openGames += 1;
        _claimGames[claimId].push(gameId);
        emit GameOpened(gameId, claimId, msg.sender, msg.value, midRoot);
    }

    function game(uint256 gameId) external view returns (Game memory) {
        if (gameId >= _games.length) revert UnknownGame(gameId);
        return _games[gameId];
    }

    function gameCount() external view returns (uint256) {
        return _games.length;
    }

    /// The least bond of the move that takes a game to depth `depth` (moves made before it).
    function bondAt(uint256 depth) public view returns (uint256 bond) {
        bond = _minBond;
        if (depth > MAX_BOND_DEPTH) depth = MAX_BOND_DEPTH;
        for (uint256 i; i < depth; ++i) {
            bond = bond * _bondGrowth / BPS;
        }
    }

    /// The least bond of the game's next move.
    function moveBond(uint256 gameId) external view returns (uint256) {
        if (gameId >= _games.length) revert UnknownGame(gameId);
        return bondAt(_games[gameId].moves);
    }

    /// Level one: the verdict on the opponent's root at mid, and the next midpoint's root unless final
    /// (bytes32(0) stands for "no root").
    function bisect(uint256 gameId, bool agree, bytes32 midRoot) external payable {
        (Game storage g, uint8 side) = _mover(gameId, Phase.BISECT, 0);
        if (g.pendingRoot == bytes32(0)) {
            _reopen(gameId, g, side, agree, midRoot);
            return;
        }
        Position pos;
        if (agree) {
            pos = g.position.agree();
            g.rootLo = g.pendingRoot;
        } else {
            pos = g.position.disagree();
            g.rootHi = g.pendingRoot;
            g.claimant = otherSide(side);
        }
        _checkMid(gameId, pos, midRoot);
        g.position = pos;
        g.turn = otherSide(side);
        if (pos.isFinal()) _toOutput(g);
        else g.pendingRoot = midRoot;
        emit Bisected(gameId, side, agree, midRoot, pos.lo(), pos.hi());
    }

    /// The challenger's first move after a re-base: there is no root to judge yet, only its own root at the
    /// midpoint of (lo, steps], as in `openGame`.
    function _reopen(uint256 gameId, Game storage g, uint8 side, bool agree, bytes32 midRoot) private {
        // INVARIANT: a reopen judges nothing: it only carries the challenger's midpoint root.
        if (agree) revert InvalidMove(gameId, "reopen: nothing to agree with");
        Position pos = g.position;
        _checkMid(gameId, pos, midRoot);
        g.pendingRoot = midRoot;
        g.turn = otherSide(side);
        emit Bisected(gameId, side, agree, midRoot, pos.lo(), pos.hi());
    }

    /// A `postOutput` move: the output root with its path in S_hi (and S_lo), the first reveal, and
    /// the disputed node's descriptor (leaf `hi` of the program tree) with its path.
    struct Output {
        bytes32 outputRoot;
        bytes32[] proof;
        bytes32[] hashes;
        bytes chunk;
        bytes node;
        bytes32[] nodeProof;
    }

    /// Links level one to level two: the output root is slot o (the disputed node's output) of S_hi,
    /// and S_hi is S_lo with only o set.
    function postOutput(uint256 gameId, Output calldata o) external payable {
        (Game storage g,) = _mover(gameId, Phase.OUTPUT, 0);
        // INVARIANT: a float program's steps go to the jury; at its OUTPUT the defender moves, not the claimant.
        if (_claims[g.claimId].floatSteps) revert WrongNodeKind(gameId, ONNX_NODE, "float step: use postNode");
        OpmlModels.Model memory m = models.model(_claims[g.claimId].modelId);
        (uint256 slot, uint256 nbytes) = disputedNode(gameId, g.position.hi(), m.programRoot, m.programDepth, o.node,
            o.nodeProof);
        // INVARIANT: a float node has no one-step kernel: its output goes to the jury (postNode).
        if (LibProgram.opCode(o.node) == ONNX_NODE) revert WrongNodeKind(gameId, ONNX_NODE, "a float step: use postNode");
        _checkOutputSlot(gameId, g, m, slot, o.outputRoot, o.proof);
        uint256 depth = LibMerkle.log2(LibMerkle.numChunks(nbytes));
        TreeNode root = LibTreeNode.wrap(0, 0);
        _checkReveal(gameId, root, o.outputRoot, depth, o.hashes, o.chunk);
        g.outputRoot = o.outputRoot;
        g.outputSlot = uint32(slot);
        g.leafDepth = uint8(depth);
        g.node = root;
        g.nodeHash = o.outputRoot;
        _afterReveal(g, root);
        emit OutputPosted(gameId, o.outputRoot, slot, depth, o.hashes, o.chunk);
    }

    function _checkOutputSlot(uint256 gameId, Game storage g, OpmlModels.Model memory m, uint256 slot,
        bytes32 outputRoot, bytes32[] calldata proof) private view {
        // INVARIANT: S_hi is S_lo with only the node's output slot set: one path folds to both roots.
        if (proof.length != m.stateDepth
                || LibMerkle.fold(bytes32(0), slot, proof) != g.rootLo) {
            revert InvalidPrestate(gameId, slot);
        }
        if (LibMerkle.fold(outputRoot, slot, proof) != g.rootHi) {
            revert InvalidProof(gameId, "S_hi is not S_lo with the output slot set");
        }
    }

    /// The claimant's move at OUTPUT on a float step: the node, its inputs and output proven against
    /// S_lo, S_hi and the program (IFloatStep.post); msg.value carries the move's bond plus the jury's
    /// fee. The game then waits for the jury's verdict (Phase.VOTE).
    function postNode(uint256 gameId, NodePost calldata p) external payable {
        IFloatStep f = floatStep;
        uint256 fee = f.fee(); // JuryNotSet while no jury is bound
        (Game storage g,) = _mover(gameId, Phase.OUTPUT, fee);
        Claim storage c = _claims[g.claimId];
        OpmlModels.Model memory m = models.model(c.modelId);
        uint256 disputed = g.position.hi();
        (uint256 slot, bytes32 nodeRoot, uint256 juryRequest) = _file(f, fee, IFloatStep.At(gameId, disputed,
            g.rootLo, g.rootHi, g.claimant == DEFENDER, c.floatSteps, c.tolerance, m.programRoot, m.programDepth,
            m.stateDepth, c.modelId), p);
        g.outputRoot = p.outputRoot;
        g.outputSlot = uint32(slot);
        g.pendingRoot = nodeRoot; // S_lo with the defender's output: the new S_lo if the jury finds it within
        g.phase = Phase.VOTE;
        g.turn = NOBODY;
        emit NodePosted(gameId, disputed, slot, p.outputRoot, juryRequest);
    }

    /// IFloatStep.post(a, p), with p's encoding passed on as it came (its offsets are relative to its own
    /// start): calldata is not decoded and re-encoded here, which would cost this contract's code size.
    function _file(IFloatStep f, uint256 fee, IFloatStep.At memory a, NodePost calldata p)
        private returns (uint256 slot, bytes32 nodeRoot, uint256 juryRequest)
    {
        uint256 at;
        assembly {
            at := p
        }
        (bool ok, bytes memory ret) = address(f).call{value: fee}(abi.encodePacked(IFloatStep.post.selector,
            abi.encode(a, uint256(12 * 32)), msg.data[at:]));
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret)) // the refusal's custom error, unchanged
            }
        }
        return abi.decode(ret, (uint256, bytes32, uint256));
    }

    /// The jury's verdict on the defender's step (contracts/README.md, "Float steps"), three ways. BEYOND
    /// tolerance: the challenger wins. EXACT (bitwise the recomputation) or WITHIN (tolerated noise): at the
    /// last step the defender wins; earlier the game is re-based on the defender's value, the round charged
    /// to the side that caused it: WITHIN the defender (its noise), EXACT the side wrong about the correct
    /// value (the disputer if S_hi is S_lo with it, else the claimant). A side charged more than
    /// MAX_REBASES rounds loses. A game that ended meanwhile (closed after its claim was refuted) ignores it.
    function onVerdict(uint256 gameId, uint8 verdict) external {
        // INVARIANT: only the float-step machine (relaying its bound jury) decides a float step.
        if (msg.sender != address(floatStep)) revert UnauthorizedCaller(msg.sender);
        if (gameId >= _games.length) revert UnknownGame(gameId);
        Game storage g = _games[gameId];
        Claim storage c = _claims[g.claimId];
        // INVARIANT: a verdict ends only a game still waiting for it, of a claim not refuted (closeGame settles those).
        if (g.phase != Phase.VOTE || c.status == REJECTED) return;
        uint256 disputed = g.position.hi();
        uint8 winner = CHALLENGER; // BEYOND: the defender's step is not the node on the agreed inputs
        if (verdict == VERDICT_EXACT || verdict == VERDICT_WITHIN) {
            // INVARIANT: a claim stands when its last step does (its S_N is S_lo with the accepted output).
            winner = DEFENDER;
            if (disputed != c.steps) {
                uint8 charged = verdict == VERDICT_WITHIN ? DEFENDER
                    : g.pendingRoot == g.rootHi ? otherSide(g.claimant) : g.claimant;
                uint8 n = charged == DEFENDER ? ++g.chargedDefender : ++g.chargedChallenger;
                // INVARIANT: each side buys at most MAX_REBASES re-based rounds; the game stays bounded.
                if (n <= MAX_REBASES) return _rebase(gameId, g, c, disputed, charged);
                winner = otherSide(charged);
            }
        }
        _end(gameId, g, winner, BY_VOTE);
    }

    /// An adopted step that is not the last: the defender's S_disputed becomes the agreed S_lo, the
    /// challenger (who recomputes from it) reopens bisection over (disputed, N] against the claim's S_N.
    /// The clocks are NOT refilled: the whole game's moves fit each side's one clock, re-bases included.
    /// The round counts against `charged`; its cost (jury fee, postNode gas) is paid from the loser's bonds.
    function _rebase(uint256 gameId, Game storage g, Claim storage c, uint256 disputed, uint8 charged) private {
        Position pos = LibPosition.wrap(disputed, c.steps);
        g.rootLo = g.pendingRoot;
        g.rootHi = c.finalRoot;
        g.position = pos;
        g.claimant = DEFENDER;
        g.turnSince = uint64(block.number);
        g.outputRoot = bytes32(0); // (a float game never uses level two's node, nodeHash or leafDepth)
        emit Rebased(gameId, disputed, g.rootLo, charged);
        if (pos.isFinal()) {
            _toOutput(g);
        } else {
            g.phase = Phase.BISECT;
            g.turn = CHALLENGER;
            g.pendingRoot = bytes32(0); // no root to judge: the challenger reopens with its midpoint root
        }
    }

    /// Level two: the disputer names the revealed node it disputes; `revealed` re-sends the last reveal.
    function pick(uint256 gameId, uint256 index, bytes32[] calldata revealed) external payable {
        (Game storage g,) = _mover(gameId, Phase.PICK, 0);
        uint256 below = g.node.strideBelow(g.leafDepth, config.stride);
        if (index >= 1 << below) revert InvalidMove(gameId, "pick index out of range of the reveal");
        if (revealed.length != 1 << below || LibMerkle.foldLevel(revealed) != g.nodeHash) {
            revert InvalidProof(gameId, "re-sent reveal does not fold to the tree node");
        }
        TreeNode child = g.node.child(below, index);
        g.node = child;
        g.nodeHash = revealed[index];
        g.phase = Phase.REVEAL;
        g.turn = g.claimant;
        emit Picked(gameId, index, child.depth(), child.index());
    }

    /// Level two: the claimant opens the picked node (its descendants, or at a leaf its chunk).
    function reveal(uint256 gameId, bytes32[] calldata hashes, bytes calldata chunk) external payable {
        (Game storage g,) = _mover(gameId, Phase.REVEAL, 0);
        TreeNode n = g.node;
        _checkReveal(gameId, n, g.nodeHash, g.leafDepth, hashes, chunk);
        _afterReveal(g, n);
        emit TreeRevealed(gameId, n.depth(), n.index(), hashes, chunk);
    }

    /// The one-step check: element `element` of the revealed chunk, recomputed by the verifier from
    /// inputs proven against S_lo. Equal -> the claimant wins; different -> the disputer wins.
    function step(uint256 gameId, uint256 element, bytes calldata chunk, bytes calldata proof) external payable {
        (Game storage g,) = _mover(gameId, Phase.STEP, 0);
        if (element >= ELEMENTS_PER_CHUNK) revert InvalidMove(gameId, "element outside the chunk");
        // INVARIANT: the chunk is the one the claimant revealed (it hashes to the disputed leaf).
        if (chunk.length != LibMerkle.CHUNK_BYTES || sha256(chunk) != g.nodeHash) {
            revert InvalidProof(gameId, "re-sent chunk does not hash to the tree leaf");
        }
        uint256 disputed = g.position.hi();
        (int256 want, uint256 slot) = verifier.element(_programRoot(g), g.rootLo, disputed,
            g.node.index() * ELEMENTS_PER_CHUNK + element, proof);
        // INVARIANT: the verifier recomputed the disputed node's output, not another slot.
        if (slot != g.outputSlot) revert InvalidProof(gameId, "one-step proof is for another output slot");
        int256 got = int16(uint16(bytes2(chunk[2 * element:2 * element + 2])));
        uint8 winner = want == got ? g.claimant : otherSide(g.claimant);
        emit Stepped(gameId, element, g.node.index(), disputed, want, got);
        _end(gameId, g, winner, BY_STEP);
    }

    /// Anyone: ends a game whose side to move used up its clock; the other side wins.
    function claimTimeout(uint256 gameId) external {
        if (gameId >= _games.length) revert UnknownGame(gameId);
        Game storage g = _games[gameId];
        // INVARIANT: a resolved game, or one whose claim another game refuted, takes no timeout.
        if (g.phase == Phase.OVER || _claims[g.claimId].status == REJECTED) revert GameOver(gameId);
        // INVARIANT: no clock runs while the jury votes: its verdict, not a timeout, ends the game.
        if (g.phase == Phase.VOTE) revert VotePending(gameId);
        uint256 elapsed = block.number - g.turnSince;
        Clock left = _clock(g, g.turn);
        // INVARIANT: a timeout is won only once the side to move has used up its clock.
        if (!left.expired(elapsed)) revert ClockNotExpired(gameId, Clock.unwrap(left) - elapsed);
        uint8 loser = g.turn;
        _setClock(g, loser, left.charge(elapsed));
        g.moves += 1;
        _end(gameId, g, otherSide(loser), BY_TIMEOUT);
    }

    /// Anyone: ends an open game whose claim another game refuted; each side gets its own bonds back.
    /// This is the lazy half of a rejection: one call per game, paid by whoever wants its bond.
    function closeGame(uint256 gameId) external {
        if (gameId >= _games.length) revert UnknownGame(gameId);
        Game storage g = _games[gameId];
        if (g.phase == Phase.OVER) revert GameOver(gameId);
        Claim storage c = _claims[g.claimId];
        // INVARIANT: only a refuted claim's games end without a winner; a pending claim's games are played out.
        if (c.status != REJECTED) revert ClaimPending(g.claimId);
        g.phase = Phase.OVER;
        g.turn = NOBODY;
        g.winner = NOBODY;
        c.openGames -= 1;
        emit GameResolved(gameId, NOBODY, BY_REJECTION);
        if (g.challengerBond > 0) _pay(g.challenger, g.challengerBond);
        if (g.defenderBond > 0) _pay(g.defender, g.defenderBond);
    }

    function withdraw() external {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        owed[msg.sender] = 0;
        emit BondWithdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        require(ok);
    }

    // ------------------------------------------------------------------ rules shared by the moves

    /// The game and the side moving; reverts unless that side may make a `phase` move now. On success
    /// the side's clock is charged and the turn's start reset (the caller then writes the move). `fee` is
    /// the part of msg.value that is not bond (a postNode's jury fee).
    function _mover(uint256 gameId, Phase phase, uint256 fee) private returns (Game storage g, uint8 side) {
        if (gameId >= _games.length) revert UnknownGame(gameId);
        g = _games[gameId];
        // INVARIANT: a resolved game, or one whose claim another game refuted, takes no more moves.
        if (g.phase == Phase.OVER || _claims[g.claimId].status == REJECTED) revert GameOver(gameId);
        side = msg.sender == g.defender ? DEFENDER : msg.sender == g.challenger ? CHALLENGER : NOBODY;
        // INVARIANT: only the side whose turn it is moves.
        if (side != g.turn) revert NotYourTurn(gameId, msg.sender);
        uint256 elapsed = block.number - g.turnSince;
        Clock left = _clock(g, side);
        // INVARIANT: a side whose clock ran out cannot move any more.
        if (left.expired(elapsed)) revert ClockTimeExceeded(gameId, elapsed, Clock.unwrap(left));
        // INVARIANT: each phase accepts one kind of move.
        if (g.phase != phase) revert WrongPhase(gameId, uint8(g.phase), uint8(phase));
        uint256 need = bondAt(g.moves) + fee;
        // INVARIANT: every move is bonded, more deeply deeper: the loser's bonds pay the winner's moves.
        if (msg.value < need) revert InsufficientBond(msg.value, need);
        if (side == DEFENDER) g.defenderBond += uint128(msg.value - fee);
        else g.challengerBond += uint128(msg.value - fee);
        _setClock(g, side, left.charge(elapsed));
        g.turnSince = uint64(block.number);
        g.moves += 1;
    }

    function _checkMid(uint256 gameId, Position pos, bytes32 midRoot) private pure {
        // INVARIANT: a midpoint root comes exactly when the interval can still be halved.
        if (pos.isFinal() && midRoot != bytes32(0)) revert InvalidMove(gameId, "final position: no midpoint root");
        if (!pos.isFinal() && midRoot == bytes32(0)) revert InvalidMove(gameId, "a midpoint root is needed");
    }

    function _toOutput(Game storage g) private {
        g.phase = Phase.OUTPUT;
        // A float step is the defender's to post (its own value is what the jury judges); a kernel step's
        // output is the claimant's to reveal.
        g.turn = _claims[g.claimId].floatSteps ? DEFENDER : g.claimant;
        g.pendingRoot = bytes32(0);
    }

    function _afterReveal(Game storage g, TreeNode n) private {
        g.phase = n.depth() == g.leafDepth ? Phase.STEP : Phase.PICK;
        g.turn = otherSide(g.claimant);
    }

    function _checkReveal(uint256 gameId, TreeNode n, bytes32 nodeHash, uint256 depth, bytes32[] calldata hashes,
        bytes calldata chunk) private view {
        if (n.depth() == depth) {
            // INVARIANT: at a leaf, the reveal is the chunk whose hash the tree commits to.
            if (hashes.length != 0 || chunk.length != LibMerkle.CHUNK_BYTES) {
                revert InvalidMove(gameId, "a leaf reveal is one 1024-byte chunk");
            }
            if (sha256(chunk) != nodeHash) revert InvalidProof(gameId, "the chunk does not hash to the tree node");
            return;
        }
        uint256 below = n.strideBelow(depth, config.stride);
        if (chunk.length != 0 || hashes.length != 1 << below) revert InvalidMove(gameId, "a reveal is 2^stride hashes");
        // INVARIANT: the revealed nodes are the committed node's descendants.
        if (LibMerkle.foldLevel(hashes) != nodeHash) revert InvalidProof(gameId, "the revealed hashes do not fold to the tree node");
    }

    function _programRoot(Game storage g) private view returns (bytes32) {
        return models.model(_claims[g.claimId].modelId).programRoot;
    }

    function _clock(Game storage g, uint8 side) private view returns (Clock) {
        return side == DEFENDER ? g.clockDefender : g.clockChallenger;
    }

    function _setClock(Game storage g, uint8 side, Clock c) private {
        if (side == DEFENDER) g.clockDefender = c;
        else g.clockChallenger = c;
    }

    // ------------------------------------------------------------------ bonds

    /// Resolves a game: the winner takes every bond of the game; a challenger's win also rejects the
    /// claim and takes the defender's claim bond. O(1): the claim's other games are left to closeGame.
    function _end(uint256 gameId, Game storage g, uint8 winner, uint8 reason) private {
        g.phase = Phase.OVER;
        g.turn = NOBODY;
        g.winner = winner;
        emit GameResolved(gameId, winner, reason);
        Claim storage c = _claims[g.claimId];
        c.openGames -= 1;
        uint256 pot = uint256(g.challengerBond) + g.defenderBond;
        if (winner == DEFENDER) {
            _pay(g.defender, pot);
            return;
        }
        // A move or timeout on a rejected claim's game reverts (GameOver), so this claim is pending here.
        c.status = REJECTED;
        _pay(g.challenger, pot + c.bond);
        emit ClaimRejected(g.claimId, gameId);
    }

    function _pay(address to, uint256 amount) private {
        paid[to] += amount;
        owed[to] += amount;
        emit BondPaid(to, amount);
    }

    function _unknownClaim(uint256 claimId) private pure returns (Claim storage c) {
        revert UnknownClaim(claimId);
        assembly {
            c.slot := 0
        }
    }
}
