"""The room in output groups (one per PC, from `host:`), and which MPI rank renders which."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import BridgeError, Problem


@dataclass(frozen=True)
class Group:
    """One render node's share of the room: the projectors (0-based) one PC drives."""

    number: int  # 1-based, as the console says it
    host: str | None
    projectors: tuple[int, ...]

    def label(self) -> str:
        names = ", ".join(str(i + 1) for i in self.projectors)
        host = f"host {self.host}, " if self.host else ""
        plural = "s" if len(self.projectors) > 1 else ""
        return f"node {self.number} ({host}projector{plural} {names})"


def output_groups(room) -> list[Group]:
    """The room's render nodes: projectors grouped by `host:` (in order of first mention), or one each."""
    if not any(p.host for p in room.projectors):
        return [Group(i + 1, None, (i,)) for i in range(len(room.projectors))]
    hosts: dict[str, list[int]] = {}
    for i, p in enumerate(room.projectors):
        hosts.setdefault(p.host, []).append(i)
    return [Group(k + 1, host, tuple(members)) for k, (host, members) in enumerate(hosts.items())]


def node_room(room, group: Group, own_desktop: bool):
    """The room as one node sees it: only its projectors.  On a PC of its own (`own_desktop`) its
    outputs move so that the group's top-left is the desktop's; on one shared desktop (a rehearsal)
    they keep their places, so the nodes' windows tile as one PC's would."""
    projectors = [room.projectors[i] for i in group.projectors]
    if own_desktop:
        x0 = min(p.output[0] for p in projectors)
        y0 = min(p.output[1] for p in projectors)
        projectors = [dataclasses.replace(p, output=(p.output[0] - x0, p.output[1] - y0)) for p in projectors]
    return dataclasses.replace(room, projectors=tuple(projectors))


def node_prepared(prepared, group: Group, frames=None):
    """The prepared show holding only the group's projectors (`frames`: theirs, when sent)."""
    mine = frames if frames is not None else [prepared.frames[i] for i in group.projectors]
    return dataclasses.replace(prepared, frames=list(mine))


def same_host(a: str, b: str) -> bool:
    """Host names as mpirun and a profile may write them: case-insensitive, domain optional."""
    a, b = a.lower(), b.lower()
    return a == b or a.split(".")[0] == b.split(".")[0]


def assign(groups: list[Group], ranks: dict[int, str], room_source: str) -> tuple[dict[int, Group], bool]:
    """Which rank renders which group: {rank: group}, and whether every rank shares one machine.

    On one machine (a rehearsal) groups go to ranks in order, whatever their hosts say.
    Across machines a group goes to a rank on its host (groups without hosts in rank order).
    """
    if len(ranks) != len(groups):
        raise BridgeError(Problem(room_source, None, "projectors",
            f"the room has {len(groups)} output group(s) but mpirun started {len(ranks)} render rank(s); start "
            f"{len(groups) + 1} ranks (mpirun -np {len(groups) + 1}: the controller and one per group), or let "
            "`bridge launch --cluster` run mpirun"))
    names = {n.lower() for n in ranks.values()}
    order = sorted(ranks)
    if len(names) == 1 or all(g.host is None for g in groups):
        return {rank: g for rank, g in zip(order, groups)}, len(names) == 1
    free = list(order)
    chosen: dict[int, Group] = {}
    missing = []
    for g in groups:
        assert g.host is not None  # a room gives every projector a host or none (bridge/room/load.py)
        match = next((r for r in free if same_host(ranks[r], g.host)), None)
        if match is None:
            missing.append(g)
            continue
        free.remove(match)
        chosen[match] = g
    if missing:
        raise BridgeError([Problem(room_source, None, f"projectors[{g.projectors[0]}].host",
            f"'{g.host}' runs no render rank; mpirun placed them on {', '.join(sorted(set(ranks.values())))}: "
            f"list {g.host} in the host file (with a slot for it), or correct the host name") for g in missing])
    return chosen, False


def read_hosts(path: Path) -> list[str]:
    """The host names of an Open MPI host file (`name [slots=N]` per line, # comments)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BridgeError(f"--hosts: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    names = [line.split("#")[0].split()[0] for line in text.splitlines() if line.split("#")[0].strip()]
    if not names:
        raise BridgeError(f"--hosts: {path} names no host; write one line per PC, e.g. 'controller-pc slots=2'")
    return names


def check_hosts(room, hosts: list[str], hosts_path: Path) -> None:
    """Every host the room names must be in the host file."""
    problems = []
    for g in output_groups(room):
        if g.host is not None and not any(same_host(g.host, h) for h in hosts):
            problems.append(Problem(room.source, None, f"projectors[{g.projectors[0]}].host",
                f"'{g.host}' is not in the host file {hosts_path} (it lists {', '.join(hosts)}); add a line "
                f"'{g.host} slots=1' or correct the host name"))
    if problems:
        raise BridgeError(problems)
