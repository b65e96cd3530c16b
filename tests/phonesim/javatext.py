"""Java-shaped error text: what Android's shell commands print when something throws.

A command that throws out of `onCommand` prints an empty line, "Exception occurred while
executing '<cmd>':" and the stack trace to stderr, and exits 255. Commands that catch the
exception print "Error: " + exception.toString() instead. Parsers meet both.
"""

from __future__ import annotations

# Plausible frames for the traces; parsers should key on the first line, never on these.
_FRAMES = {
    "java.lang.SecurityException": (
        "com.android.server.am.UserController.handleIncomingUser(UserController.java:2843)",
        "com.android.server.am.ActivityManagerService.handleIncomingUser(ActivityManagerService.java:15403)",
        "android.app.ActivityManager.handleIncomingUser(ActivityManager.java:4876)",
        "com.android.server.pm.PackageManagerShellCommand.translateUserId(PackageManagerShellCommand.java:3570)",
    ),
    "java.lang.IllegalArgumentException": (
        "com.android.server.pm.PackageManagerService$IPackageManagerImpl.setEnabledSetting(PackageManagerService.java:4920)",
        "com.android.server.pm.PackageManagerService$IPackageManagerImpl.setApplicationEnabledSetting(PackageManagerService.java:4790)",
        "com.android.server.pm.PackageManagerShellCommand.runSetEnabledSetting(PackageManagerShellCommand.java:2605)",
    ),
}
_TAIL = (
    "com.android.server.pm.PackageManagerShellCommand.onCommand(PackageManagerShellCommand.java:241)",
    "com.android.modules.utils.BasicShellCommandHandler.exec(BasicShellCommandHandler.java:97)",
    "android.os.ShellCommand.exec(ShellCommand.java:38)",
    "com.android.server.pm.PackageManagerService$IPackageManagerImpl.onShellCommand(PackageManagerService.java:6672)",
    "android.os.Binder.shellCommand(Binder.java:1092)",
    "android.os.Binder.onTransact(Binder.java:912)",
    "android.content.pm.IPackageManager$Stub.onTransact(IPackageManager.java:4352)",
    "android.os.Binder.execTransactInternal(Binder.java:1392)",
    "android.os.Binder.execTransact(Binder.java:1299)",
)


class JavaException(Exception):
    """An exception as Android's Java code would throw it."""

    def __init__(self, java_class: str, message: str) -> None:
        super().__init__(java_class, message)
        self.java_class = java_class
        self.message = message

    def __str__(self) -> str:
        """Throwable.toString(): the class name, then ": message" when there is one."""
        return f"{self.java_class}: {self.message}" if self.message else self.java_class


def illegal_argument(message: str) -> JavaException:
    return JavaException("java.lang.IllegalArgumentException", message)


def security(message: str) -> JavaException:
    return JavaException("java.lang.SecurityException", message)


def stack_trace(error: JavaException) -> str:
    frames = _FRAMES.get(error.java_class, ()) + _TAIL
    return str(error) + "\n" + "".join(f"\tat {frame}\n" for frame in frames)


def uncaught(command: str, error: JavaException) -> str:
    """What BasicShellCommandHandler.exec prints to stderr when onCommand throws."""
    return f"\nException occurred while executing '{command}':\n{stack_trace(error)}"
