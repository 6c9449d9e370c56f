# Finds what the Python module needs and sets WAL_PYTHON_AVAILABLE.
#
# Which Python: -DPython3_EXECUTABLE=/path/to/python3 if given, else the
# `python3` on PATH. We resolve PATH's python3 to sys.executable ourselves
# because FindPython3 would otherwise prefer the newest version it can find
# anywhere, and a pyenv shim resolves per directory at run time; the module
# must be built against, and tested with, one fixed interpreter.
if(NOT Python3_EXECUTABLE)
  find_program(WAL_PATH_PYTHON3 python3)
  if(WAL_PATH_PYTHON3)
    execute_process(COMMAND ${WAL_PATH_PYTHON3} -c "import sys; print(sys.executable)"
                    OUTPUT_VARIABLE _wal_python_real OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE _wal_python_rc)
    if(_wal_python_rc EQUAL 0 AND EXISTS "${_wal_python_real}")
      set(Python3_EXECUTABLE "${_wal_python_real}" CACHE FILEPATH "The Python 3 interpreter")
    endif()
  endif()
endif()

set(WAL_PYTHON_AVAILABLE OFF)
find_package(Python3 COMPONENTS Interpreter Development.Module)
if(Python3_Interpreter_FOUND AND Python3_Development.Module_FOUND)
  # Found after Python3, pybind11 uses FindPython3's result (its "new" mode)
  # instead of looking for an interpreter again.
  find_package(pybind11 CONFIG QUIET)
  if(pybind11_FOUND)
    set(WAL_PYTHON_AVAILABLE ON)
  endif()
endif()
