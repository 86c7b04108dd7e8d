"""The portal's URL patterns, walked from the root URLconf, and what their views demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from merchants.roles import Perm


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern text, e.g. "shops/<int:pk>/keys/"
    name: str  # namespaced URL name, "" when the pattern has none
    kwargs: tuple[str, ...]  # every captured argument, including those of enclosing includes
    callback: Callable

    @property
    def id(self) -> str:
        return self.name or self.route


def _kwargs_of(pattern) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    return list(pattern.regex.groupindex)


def walk(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "",
         kwargs: tuple[str, ...] = ()) -> Iterator[Route]:  # fmt: skip
    """Every view pattern under `resolver`, recursively through includes."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        captured = (*kwargs, *_kwargs_of(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from walk(entry, route, inner, captured)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield Route(route, name, captured, entry.callback)


def _closure(func: Callable) -> dict:
    cells = func.__closure__ or ()
    return dict(zip(func.__code__.co_freevars, (cell.cell_contents for cell in cells), strict=True))


def _chain(callback: Callable) -> Iterator[Callable]:
    func = callback
    while func is not None:
        yield func
        func = getattr(func, "__wrapped__", None)


def required_perm(callback: Callable) -> Perm | None:
    """The Perm a view is guarded with by merchants.access.require_perm, if any."""
    for func in _chain(callback):
        if hasattr(func, "__code__"):
            perm = _closure(func).get("perm")
            if isinstance(perm, Perm):
                return perm
    return None


def allowed_methods(callback: Callable) -> set[str] | None:
    """The methods a require_http_methods decorator lets through; None: not restricted."""
    for func in _chain(callback):
        if hasattr(func, "__code__"):
            methods = _closure(func).get("request_method_list")
            if methods is not None:
                return set(methods)
    return None
