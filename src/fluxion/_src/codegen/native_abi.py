"""The C calling convention shared by every native potential and the compiled NUTS core.

A native potential is a C function ``double f(double *q, double *grad_out, void *context)``:
the model's log density at ``q``, its gradient written to ``grad_out``. The compiled NUTS core
(``mcmc/_nuts_core.py``) calls one through its address (``call_potential``); the potentials
(the model's own kernel wrapped in a ``cfunc``, or the tape machine's ``potential``) read their
data through addresses held in the context (``as_voidptr``).

This module is numba source imported (by its package name) only from generated or
numba-compiled modules (the core, the tape machine, kernel potentials): importing it needs
numba. Its text is part of the digest of every module that uses it (``cache.digest_of``), so a
change here recompiles them.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["as_voidptr", "call_potential"]


@intrinsic
def call_potential(typingctx, fn_addr, ctx_addr, q, grad):  # noqa: ARG001 (numba's signature)
    """``fn(q.data, grad.data, ctx)`` for the C function at address ``fn_addr``."""
    sig = types.float64(fn_addr, ctx_addr, q, grad)

    def codegen(context, builder, signature, args):
        fn, ctx, q_val, g_val = args
        q_arr = context.make_array(signature.args[2])(context, builder, q_val)
        g_arr = context.make_array(signature.args[3])(context, builder, g_val)
        dptr = ir.DoubleType().as_pointer()
        vptr = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.DoubleType(), [dptr, dptr, vptr])
        fptr = builder.inttoptr(fn, fnty.as_pointer())
        return builder.call(
            fptr,
            [
                builder.bitcast(q_arr.data, dptr),
                builder.bitcast(g_arr.data, dptr),
                builder.inttoptr(ctx, vptr),
            ],
        )

    return sig, codegen


@intrinsic
def as_voidptr(typingctx, addr):  # noqa: ARG001 (numba's signature)
    """The integer ``addr`` as a ``void*`` (for ``numba.carray`` over an address)."""
    sig = types.voidptr(addr)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], ir.IntType(8).as_pointer())

    return sig, codegen
