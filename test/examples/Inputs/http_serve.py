"""http_serve.py DIR -- CMD...: serve DIR over HTTP on 127.0.0.1 (a free
port, loopback only) while CMD runs; every {port} in CMD is replaced by the
port. Prints CMD's output and exits with its status. Used by fetch.test."""
import functools
import http.server
import subprocess
import sys
import threading


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    directory = sys.argv[1]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    handler = functools.partial(Quiet, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cmd = [a.replace("{port}", str(port)) for a in cmd]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=120)
        sys.stdout.write(r.stdout.decode("utf-8", "replace").replace(str(port), "PORT"))
        sys.stdout.flush()
        return r.returncode
    finally:
        server.shutdown()


sys.exit(main())
