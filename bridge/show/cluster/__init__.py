"""A room driven by several PCs: a controller and one render node per output group, on MPI.

`bridge launch SCENE --cluster` starts `mpirun` (Open MPI, through mpi4py) with one rank
more than the room has output groups.  Rank 0 is the **controller**: the show as on one PC
(bridge/show/live.py's `Live`: presenter, keys, console, log, reloads, live answers, the web
remote), with a small preview window that takes the presenter's keys.  Every other rank is a
**render node** showing one output group (the projectors one PC drives, `host:` in the room
profile; without hosts, one projector per node) at native resolution, in windows laid out as
`bridge/show/windows.py` lays out one PC's outputs.

Frames come from the prepared cache (bridge/show/cache.py), which every node maps itself from
its own disk (shared storage, or the entry copied there); a node that lacks the entry (and
the test patterns, which have none) is sent its projectors' images by the controller instead.
The controller's preview shows thumbnails.  Live answers (new pictures for some
projectors of one step) are sent to the nodes that own those projectors.

A change is **frame-locked**: the controller sends the view to every node, each draws it into
its back buffer and says so; when every live node is ready, the controller releases the swap
and every node presents at once.  This barrier is point-to-point messages through the
controller, never an MPI collective: a collective waits forever for a rank that died.

**Faults.** Nodes send a heartbeat every BEAT_EVERY from their loop; one that is silent for
LOST_AFTER (dead, or hung) is reported on the controller's console and log, and left out of
later frames, so the others keep showing; a hung node that wakes is caught up.  The
controller's heartbeats come from a thread of their own, so a controller busy preparing is
not taken for dead.  `mpirun --enable-recovery` keeps the job running when a rank dies.
F5 on the controller's window restarts every lost node with `MPI_Comm_spawn` (on its host);
it rejoins at the step the room shows.  A node that stops hearing the controller for
CONTROLLER_LOST_AFTER closes its windows and exits, so a dead controller leaves no window.

Modules: `groups` (the room in groups, ranks to hosts), `messages` (tags, timings, `Link`),
`hub` (the controller's side: nodes, heartbeats, the locked swap, restarts), `controller`
(`ClusterShow`, the show on rank 0), `node` (`RenderNode`), `launch` (mpirun, each rank's start).
Import them by name: this file imports none, so importing one never imports the others.
"""
