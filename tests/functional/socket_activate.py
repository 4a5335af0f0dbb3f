"""Stands in for systemd socket activation: binds a listening Unix socket the way
weave-server.socket does, then execs the command with the socket on fd 3 and
LISTEN_FDS=1, LISTEN_PID=<its pid> (exec keeps the pid), LISTEN_FDNAMES set.

Usage: python3 socket_activate.py SOCKET MODE GROUP -- COMMAND [ARG ...]
  MODE   octal permissions of the socket file (0660), GROUP a group name or "-"
"""

import grp
import os
import socket
import sys


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        sys.stderr.write(__doc__)
        return 2
    path, mode, group = sys.argv[1], int(sys.argv[2], 8), sys.argv[3]
    command = sys.argv[5:]
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, mode)
    if group != "-":
        os.chown(path, -1, grp.getgrnam(group).gr_gid)
    listener.listen(1024)
    fd = listener.detach()
    if fd != 3:
        os.dup2(fd, 3)
        os.close(fd)
    os.set_inheritable(3, True)
    env = dict(os.environ)
    env.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES="weave-server.socket")
    os.execvpe(command[0], command, env)
    return 127


if __name__ == "__main__":
    sys.exit(main())
